// The limits every frame and message is held to, in one place: the frame size read before
// decoding, text bounds and list lengths. The decode gate (codec.h) and validate()
// (message_rules.h) apply them; senders use them to cut what they send.
#pragma once

#include <cstddef>

namespace samband::common {

// Largest frame the broker reads; anything bigger is refused as oversized before decoding.
inline constexpr size_t kMaxFrameBytes = 64 * 1024;
// Text bounds (bytes of UTF-8).
inline constexpr size_t kMaxShortText = 200;  // reasons, self-test details
inline constexpr size_t kMaxNoteText = 1000;  // unit notes, continuity notes
inline constexpr size_t kMaxDirectiveText = 8000;
inline constexpr size_t kMaxIdText = 64;  // check and directive ids, self-test names
inline constexpr size_t kMaxCapacityEntries = 64;
inline constexpr size_t kMaxSelfTests = 32;
inline constexpr size_t kMaxRecipients = 1000;
inline constexpr size_t kMaxEnrolmentUnits = 2000;   // units named by one city roster record
inline constexpr size_t kMaxDirectiveMarks = 16;     // issuing broker keys named by one time beacon
inline constexpr size_t kMaxRosterInfoUnits = 200;   // units named by one unit metadata record
inline constexpr size_t kMaxSchoolFormsText = 4000;  // a unit's school forms as stored
inline constexpr size_t kMaxAccountDistricts = 64;   // districts one board account is limited to

}  // namespace samband::common
