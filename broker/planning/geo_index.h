// Great-circle geometry for takeover planning and GeoIndex, a static k-d tree over points on the
// unit sphere that yields them nearest first (NearestCursor). The class solver uses it to find
// receiving units near a sending unit without looking at every unit. Pure.
#pragma once

#include <queue>
#include <utility>
#include <vector>

namespace samband::broker {

// Mean Earth radius (IUGG) used for all great-circle distances.
inline constexpr double kEarthRadiusKm = 6371.0088;

// A WGS84 position in decimal degrees.
struct GeoPoint {
  double lat = 0.0;
  double lon = 0.0;
};

// Great-circle distance in kilometres (haversine formula, kEarthRadiusKm).
double haversineKm(GeoPoint a, GeoPoint b);

// A point on the unit sphere (x, y, z); the chord between two of them orders pairs exactly as
// their great-circle distance does.
struct Vec3 {
  double x = 0.0;
  double y = 0.0;
  double z = 0.0;
};

// `p` (degrees, lat within -90..90) as a unit vector.
Vec3 toUnitVector(GeoPoint p);

// Squared chord length between two unit vectors.
double squaredChord(const Vec3& a, const Vec3& b);

// The great-circle distance in km of a squared chord length (on a sphere of kEarthRadiusKm).
double chordToKm(double squared);

// Static 3-d tree over points on the unit sphere, each with a caller's id. Immutable once
// built, so any number of NearestCursors may read it at once, from any threads.
class GeoIndex {
 public:
  GeoIndex() = default;
  // Takes (unit vector, id) pairs; ids need not be distinct, but ties are broken by id.
  explicit GeoIndex(std::vector<std::pair<Vec3, int>> points);

  std::size_t size() const { return items_.size(); }

 private:
  friend class NearestCursor;
  struct Node {
    Vec3 lo;
    Vec3 hi;
    int begin = 0;
    int end = 0;
    int left = -1;
    int right = -1;
  };

  int build(int begin, int end);

  std::vector<std::pair<Vec3, int>> items_;
  std::vector<Node> nodes_;
};

// Incremental nearest-neighbour search: yields the index's points in order of increasing
// distance from a query point (ties by id), as far as the caller asks. Reads `index`, which
// must outlive the cursor; one cursor belongs to one thread.
class NearestCursor {
 public:
  NearestCursor(const GeoIndex& index, Vec3 query);

  // Next point: its id and squared chord distance; false when none is left.
  bool next(int* id, double* squared);

 private:
  struct Entry {
    double distance;
    int kind;  // 0 = tree node (expanded before points at equal distance), 1 = point
    int key;   // node index or point id
    bool operator>(const Entry& o) const {
      if (distance != o.distance) return distance > o.distance;
      if (kind != o.kind) return kind > o.kind;
      return key > o.key;
    }
  };

  double boxDistance(const GeoIndex::Node& n) const;

  const GeoIndex* index_;
  Vec3 query_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap_;
};

}  // namespace samband::broker
