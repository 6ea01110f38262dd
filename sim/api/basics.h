// The value types and checks every model uses, as the seam exports them:
// virtual time and durations, the seeded random stream, DETSIM_ASSERT.
// Model code includes this (or a sim/api header that includes it), never
// sim/core directly (scripts/check-seam.sh).
#pragma once

#include "sim/core/assert.h"
#include "sim/core/duration_dist.h"
#include "sim/core/rng.h"
#include "sim/core/time.h"
