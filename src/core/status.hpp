// absl::Status helpers for the cold path (files, configuration). Debian 12's abseil (20220623)
// has no status_macros.h, hence our own macro.
#pragma once

#include <absl/status/status.h>
#include <absl/status/statusor.h>

#define TATTLE_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    if (absl::Status s_ = (expr); !s_.ok()) return s_; \
  } while (false)
