// See geo_index.h.
#include "broker/planning/geo_index.h"

#include <algorithm>
#include <cmath>

namespace samband::broker {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDegToRad = kPi / 180.0;
constexpr int kLeafSize = 8;

double axisOf(const Vec3& v, int axis) { return axis == 0 ? v.x : axis == 1 ? v.y : v.z; }

}  // namespace

double haversineKm(GeoPoint a, GeoPoint b) {
  const double lat1 = a.lat * kDegToRad;
  const double lat2 = b.lat * kDegToRad;
  const double sinLat = std::sin((lat2 - lat1) / 2.0);
  const double sinLon = std::sin((b.lon - a.lon) * kDegToRad / 2.0);
  const double h = sinLat * sinLat + std::cos(lat1) * std::cos(lat2) * sinLon * sinLon;
  return 2.0 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(h)));
}

Vec3 toUnitVector(GeoPoint p) {
  const double lat = p.lat * kDegToRad;
  const double lon = p.lon * kDegToRad;
  return {std::cos(lat) * std::cos(lon), std::cos(lat) * std::sin(lon), std::sin(lat)};
}

double squaredChord(const Vec3& a, const Vec3& b) {
  const double dx = a.x - b.x;
  const double dy = a.y - b.y;
  const double dz = a.z - b.z;
  return dx * dx + dy * dy + dz * dz;
}

double chordToKm(double squared) {
  return 2.0 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(squared) / 2.0));
}

GeoIndex::GeoIndex(std::vector<std::pair<Vec3, int>> points) : items_(std::move(points)) {
  if (!items_.empty()) build(0, static_cast<int>(items_.size()));
}

int GeoIndex::build(int begin, int end) {
  Node node;
  node.begin = begin;
  node.end = end;
  node.lo = node.hi = items_[begin].first;
  for (int i = begin + 1; i < end; ++i) {
    const Vec3& p = items_[i].first;
    node.lo = {std::min(node.lo.x, p.x), std::min(node.lo.y, p.y), std::min(node.lo.z, p.z)};
    node.hi = {std::max(node.hi.x, p.x), std::max(node.hi.y, p.y), std::max(node.hi.z, p.z)};
  }
  const int index = static_cast<int>(nodes_.size());
  nodes_.push_back(node);
  if (end - begin <= kLeafSize) return index;
  const double ex = node.hi.x - node.lo.x;
  const double ey = node.hi.y - node.lo.y;
  const double ez = node.hi.z - node.lo.z;
  const int axis = (ex >= ey && ex >= ez) ? 0 : (ey >= ez ? 1 : 2);
  const int mid = begin + (end - begin) / 2;
  std::nth_element(items_.begin() + begin, items_.begin() + mid, items_.begin() + end,
                   [axis](const auto& a, const auto& b) {
                     const double va = axisOf(a.first, axis);
                     const double vb = axisOf(b.first, axis);
                     return va != vb ? va < vb : a.second < b.second;
                   });
  const int left = build(begin, mid);
  const int right = build(mid, end);
  nodes_[index].left = left;
  nodes_[index].right = right;
  return index;
}

NearestCursor::NearestCursor(const GeoIndex& index, Vec3 query) : index_(&index), query_(query) {
  if (!index.nodes_.empty()) heap_.push({boxDistance(index.nodes_[0]), 0, 0});
}

bool NearestCursor::next(int* id, double* squared) {
  while (!heap_.empty()) {
    const Entry top = heap_.top();
    heap_.pop();
    if (top.kind == 1) {
      *id = top.key;
      *squared = top.distance;
      return true;
    }
    const GeoIndex::Node& node = index_->nodes_[top.key];
    if (node.left < 0) {
      for (int i = node.begin; i < node.end; ++i) {
        const auto& item = index_->items_[i];
        heap_.push({squaredChord(query_, item.first), 1, item.second});
      }
    } else {
      heap_.push({boxDistance(index_->nodes_[node.left]), 0, node.left});
      heap_.push({boxDistance(index_->nodes_[node.right]), 0, node.right});
    }
  }
  return false;
}

double NearestCursor::boxDistance(const GeoIndex::Node& n) const {
  auto gap = [](double q, double lo, double hi) {
    return q < lo ? lo - q : (q > hi ? q - hi : 0.0);
  };
  const double dx = gap(query_.x, n.lo.x, n.hi.x);
  const double dy = gap(query_.y, n.lo.y, n.hi.y);
  const double dz = gap(query_.z, n.lo.z, n.hi.z);
  return dx * dx + dy * dy + dz * dz;
}

}  // namespace samband::broker
