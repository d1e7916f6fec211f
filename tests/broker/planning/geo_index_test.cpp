// Tests of GeoIndex and NearestCursor: the receivers within a distance limit, nearest first,
// against brute force over random points, and the great-circle helpers they rest on.
#include "broker/planning/geo_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <tuple>
#include <utility>
#include <vector>

namespace samband::broker {
namespace {

struct Found {
  int id = 0;
  double km = 0.0;
};

// Everything the cursor yields within `limitKm` of `query`, in the order it yields it.
std::vector<Found> nearestWithin(const GeoIndex& index, GeoPoint query, double limitKm) {
  NearestCursor cursor(index, toUnitVector(query));
  std::vector<Found> found;
  int id = 0;
  double squared = 0.0;
  while (cursor.next(&id, &squared)) {
    const double km = chordToKm(squared);
    if (km > limitKm) break;  // nearest first: so is everything after it
    found.push_back({id, km});
  }
  return found;
}

// The same by looking at every point: sorted by distance, ties by id.
std::vector<Found> bruteForceWithin(const std::vector<GeoPoint>& points, GeoPoint query,
                                    double limitKm) {
  const Vec3 q = toUnitVector(query);
  std::vector<std::pair<double, int>> all;
  for (std::size_t i = 0; i < points.size(); ++i) {
    all.emplace_back(squaredChord(q, toUnitVector(points[i])), static_cast<int>(i));
  }
  std::sort(all.begin(), all.end());
  std::vector<Found> found;
  for (const auto& [squared, id] : all) {
    const double km = chordToKm(squared);
    if (km > limitKm) break;
    found.push_back({id, km});
  }
  return found;
}

GeoIndex indexOf(const std::vector<GeoPoint>& points) {
  std::vector<std::pair<Vec3, int>> items;
  for (std::size_t i = 0; i < points.size(); ++i) {
    items.emplace_back(toUnitVector(points[i]), static_cast<int>(i));
  }
  return GeoIndex(std::move(items));
}

std::vector<GeoPoint> randomPoints(std::mt19937& rng, std::size_t n, double latLo, double latHi,
                                   double lonLo, double lonHi) {
  std::uniform_real_distribution<double> lat(latLo, latHi);
  std::uniform_real_distribution<double> lon(lonLo, lonHi);
  std::vector<GeoPoint> points(n);
  for (GeoPoint& p : points) p = {lat(rng), lon(rng)};
  return points;
}

void expectSame(const std::vector<Found>& got, const std::vector<Found>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].id, want[i].id) << "rank " << i;
    EXPECT_DOUBLE_EQ(got[i].km, want[i].km) << "rank " << i;
  }
}

TEST(GeoIndex, FindsTheSamePointsWithinALimitAsBruteForceNearestFirst) {
  std::mt19937 rng(11);
  // A city-sized cluster (Stockholm) and a country (Sweden), with leaves split many times.
  for (const auto& [points, limits] :
       {std::make_pair(randomPoints(rng, 600, 59.2, 59.5, 17.8, 18.3),
                       std::vector<double>{0.5, 2.0, 5.0, 30.0}),
        std::make_pair(randomPoints(rng, 2000, 55.5, 67.0, 12.5, 22.0),
                       std::vector<double>{10.0, 50.0, 200.0})}) {
    const GeoIndex index = indexOf(points);
    ASSERT_EQ(index.size(), points.size());
    for (int q = 0; q < 40; ++q) {
      // Half the queries sit on an indexed point, half anywhere in the area.
      const GeoPoint query = q % 2 == 0 ? points[rng() % points.size()]
                                        : randomPoints(rng, 1, 55.5, 67.0, 12.5, 22.0)[0];
      for (double limit : limits) {
        SCOPED_TRACE(testing::Message() << "query " << q << " limit " << limit);
        expectSame(nearestWithin(index, query, limit), bruteForceWithin(points, query, limit));
      }
    }
  }
}

TEST(GeoIndex, YieldsEveryPointOnceInOrderOfDistanceThenId) {
  std::mt19937 rng(3);
  std::vector<GeoPoint> points = randomPoints(rng, 300, -80.0, 80.0, -180.0, 180.0);
  // Duplicates: equal distances must come out by id.
  for (int i = 0; i < 20; ++i) points.push_back(points[static_cast<std::size_t>(i)]);
  const GeoIndex index = indexOf(points);
  const GeoPoint query{10.0, 20.0};
  const std::vector<Found> all = nearestWithin(index, query, 1e9);
  ASSERT_EQ(all.size(), points.size());
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_TRUE(std::tie(all[i - 1].km, all[i - 1].id) < std::tie(all[i].km, all[i].id)) << i;
  }
  expectSame(all, bruteForceWithin(points, query, 1e9));
}

TEST(GeoIndex, EmptyIndexYieldsNothing) {
  const GeoIndex index;
  EXPECT_EQ(index.size(), 0u);
  EXPECT_TRUE(nearestWithin(index, {59.3, 18.0}, 1e9).empty());
}

TEST(GeoIndex, ChordDistanceAgreesWithHaversine) {
  std::mt19937 rng(7);
  const std::vector<GeoPoint> points = randomPoints(rng, 200, -89.0, 89.0, -180.0, 180.0);
  for (std::size_t i = 1; i < points.size(); ++i) {
    const double chordKm =
        chordToKm(squaredChord(toUnitVector(points[i - 1]), toUnitVector(points[i])));
    EXPECT_NEAR(chordKm, haversineKm(points[i - 1], points[i]), 1e-6);
  }
  // A quarter of the equator.
  EXPECT_NEAR(haversineKm({0.0, 0.0}, {0.0, 90.0}), kEarthRadiusKm * 3.14159265358979323846 / 2,
              1e-9);
}

}  // namespace
}  // namespace samband::broker
