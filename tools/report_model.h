// ReportModel: how each simulated unit's situation changes over time, and the unit-status and
// capacity reports that describe it. Counts and states only: reasons and notes come from fixed
// texts, never from people. Used by `samband-sim run` and by benchmarks that need realistic
// payloads; it knows nothing about agents, outboxes or sockets.
//
// Not thread-safe; one owner. Times are wall-clock milliseconds since the Unix epoch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/messages.h"
#include "tools/city_model.h"
#include "tools/sim_random.h"

namespace samband::tools {

// During a power cut one real minute burns one hour of a backup generator's fuel, so a demo
// shows generators running dry within minutes, not days.
inline constexpr int64_t kBackupMsPerHour = 60 * 1000;

class ReportModel {
 public:
  // `city` must outlive the model. The seed drives every random change.
  ReportModel(const City& city, uint64_t seed);

  // The report describing unit `u` (index into City::units) as it stands at `nowMs`.
  common::UnitStatusMsg status(size_t u, int64_t nowMs) const;
  common::CapacityMsg capacity(size_t u) const;

  // One step of everyday change at unit `u`: attendance and staff drift; now and then a unit
  // is reduced (illness, a water leak, heating or IT trouble), rarely it teaches remotely or
  // closes for a day or two, and such episodes end again. Units hit by the storm or whose
  // provider gave up are left to those events.
  void drift(size_t u, int64_t nowMs);
  // Applies the passage of time at `nowMs`: a generator running dry turns a unit on backup
  // power into one without power, closed.
  void advance(size_t u, int64_t nowMs);

  // A drill report about unit `u`, to be sent in exercise mode. The unit's state is untouched.
  common::UnitStatusMsg exerciseStatus(size_t u, int64_t nowMs);

  // The storm takes the grid away at unit `u`: with a generator it runs on backup power at
  // reduced operation; without, it closes (upper years teach remotely).
  void cutPower(size_t u, int64_t nowMs);
  // The unit's provider cannot continue: the unit closes with no reopening date.
  void closeForGood(size_t u, int64_t nowMs);

  // True while a scenario event (storm, provider failure) owns the unit's state.
  bool isAffected(size_t u) const;

 private:
  struct UnitState {
    common::OperationalState operational = common::OperationalState::NORMAL;
    std::string reason;
    std::string note;
    int64_t expectedReopen = 0;
    double attendance = 0.93;  // share of enrolled pupils present
    double staffShare = 0.93;  // share of staff available
    common::Electricity electricity = common::Electricity::GRID;
    int64_t powerCutAt = 0;  // 0 = grid
    common::Supply heating = common::Supply::OK;
    common::Supply water = common::Supply::OK;
    common::Supply it = common::Supply::OK;
    common::Supply telephony = common::Supply::OK;
    int foodDays = 3;
    std::vector<int> seatsNow;  // per ClassGroup
    std::vector<int> seats72h;
    bool storm = false;
    bool providerFailed = false;
  };

  int backupHoursLeft(const SimUnit& unit, const UnitState& s, int64_t nowMs) const;
  void startEpisode(size_t u, int64_t nowMs);
  void backToNormal(size_t u);

  const City& city_;
  SimRandom rng_;
  std::vector<UnitState> states_;
};

}  // namespace samband::tools
