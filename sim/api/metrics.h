// What model code may use to measure itself: a weighted log-linear
// histogram of durations (sim/metrics/histogram.h), and queueing theory's
// closed forms to set a measurement against (sim/metrics/queueing.h).
// Models report the results through Model::report(); `run --json` and sweep
// CSVs carry them.
#pragma once

#include "sim/metrics/histogram.h"
#include "sim/metrics/queueing.h"
