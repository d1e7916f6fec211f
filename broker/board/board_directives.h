// The board's directives (GET and POST /api/directives): the status of every directive —
// directiveStatus() of directives.h, with the providers' names for the page — and the checks of
// a request body before sendDirective() signs, numbers and queues it exactly as
// `samband-broker directive send` does. Shapes and messages are documented in docs/api.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "broker/city/directives.h"
#include "broker/store/store.h"
#include "common/result.h"

namespace samband::broker {

// Every directive, newest first, the first `limit` of them, with the names of all providers and
// the list of enrolled providers a directive can go to. Errors: unavailable. Reads only.
common::Result<nlohmann::json> boardDirectives(Store& store, int limit, int64_t nowMs);

// Reads a POST /api/directives body: {"to": "all" | ["NNNNNN-NNNN", ...], "text": "...",
// "level": "normal" | "heightened" | "highest" (optional), "require_ack": bool (optional),
// "expires": "24h" (optional), "mode": "actual" | "exercise" | "test" | "system" (optional)}.
// `enrolled` are the providers a directive may go to. Errors: invalidInput, with a sentence
// naming the field and what it must be. Pure.
common::Result<DirectiveOptions> parseDirectiveRequest(const nlohmann::json& body,
                                                       const std::vector<std::string>& enrolled);

}  // namespace samband::broker
