// A fault schedule in prose, for `detsim shrink`'s report: one line per
// action, its time and every duration in seconds, nodes by the names the
// model gave them ("0.80 s: n2 is cut off from n0, n1, n3, n4, c3, c7").
#pragma once

#include <string>
#include <vector>

#include "sim/fault/fault_schedule.h"

namespace detsim {

// names: the run's node names by NodeId index (TraceSink::set_node_names);
// an index past them prints as nINDEX, as the short form does. clients:
// the model's client nodes, listed after the servers of a partition side
// ("s2 is cut off from s0, s1 and clients c3, c7").
std::string action_prose(const FaultAction& action, const std::vector<std::string>& names,
                         const std::vector<NodeId>& clients = {});
std::vector<std::string> schedule_prose(const FaultSchedule& schedule, const std::vector<std::string>& names,
                                        const std::vector<NodeId>& clients = {});

}  // namespace detsim
