#include "models/registry.h"

#include "models/broadcast/register.h"
#include "models/cdc_fanin/register.h"
#include "models/edge_replication/register.h"
#include "models/log_mirror/register.h"
#include "models/noisy_neighbours/register.h"
#include "models/outbox/register.h"
#include "models/primary_replica/register.h"
#include "models/queue/register.h"
#include "models/raft_kv/register.h"
#include "models/resource_fsm/register.h"

namespace detsim {

const ModelRegistry& model_registry() {
  static const ModelRegistry registry = [] {
    ModelRegistry r;
    r.add(broadcast::model_info());
    r.add(queue::model_info());
    r.add(raft_kv::model_info());
    r.add(rfsm::model_info());
    r.add(edge::model_info());
    r.add(outbox::model_info());
    r.add(primary_replica::model_info());
    r.add(cdc::model_info());
    r.add(noisy::model_info());
    r.add(mirror::model_info());
    return r;
  }();
  return registry;
}

}  // namespace detsim
