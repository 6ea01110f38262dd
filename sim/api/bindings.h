// A model's knobs and planted bugs, declared once: each binding names the
// struct field it sets, so the default is the field's own initializer, and
// the spec (for the scenario loader and `detsim list`), the reading of
// validated Params into the struct, and the bug switches all come from the
// one declaration.
//
//   struct PingParams { int64_t nodes = 3; Duration period = Duration::milliseconds(50); bool drop_acks = false; };
//   inline const ParamBindings<PingParams>& bindings() {
//     static const auto b = ParamBindings<PingParams>()
//         .integer("nodes", &PingParams::nodes, "servers", 1, 64)
//         .duration("period", &PingParams::period, "ping period", 0.001, 60).swarm({"10ms", "50ms"})
//         .bug("drop_acks", &PingParams::drop_acks, "acks are dropped");
//     return b;
//   }
//   ... info.params = bindings().specs(); info.bugs = bindings().bugs();
//   ... PingParams p = bindings().read(params);
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sim/api/basics.h"
#include "sim/api/model.h"
#include "sim/api/params.h"

namespace detsim {

template <class S>
class ParamBindings {
 public:
  ParamBindings& integer(std::string key, int64_t S::*field, std::string doc, double min, double max) {
    return bind(make_param(std::move(key), ParamType::integer, "", std::move(doc), min, max), field,
                [](const Params& p, const std::string& k) { return p.integer(k); });
  }
  ParamBindings& real(std::string key, double S::*field, std::string doc, double min, double max) {
    return bind(make_param(std::move(key), ParamType::real, "", std::move(doc), min, max), field,
                [](const Params& p, const std::string& k) { return p.real(k); });
  }
  // min and max in seconds.
  ParamBindings& duration(std::string key, Duration S::*field, std::string doc, double min_s, double max_s) {
    return bind(make_param(std::move(key), ParamType::duration, "", std::move(doc), min_s, max_s), field,
                [](const Params& p, const std::string& k) { return p.duration(k); });
  }
  ParamBindings& boolean(std::string key, bool S::*field, std::string doc) {
    return bind(make_param(std::move(key), ParamType::boolean, "", std::move(doc)), field,
                [](const Params& p, const std::string& k) { return p.boolean(k); });
  }
  // One of named values of E (an enum): the scenario names it, the field
  // gets the value. The default is the name of the field's initial value.
  template <class E>
  ParamBindings& choice(std::string key, E S::*field, std::string doc, std::vector<std::pair<std::string, E>> named) {
    ParamSpec spec = make_param(std::move(key), ParamType::choice, "", std::move(doc));
    const E initial = S{}.*field;
    for (const auto& [name, value] : named) {
      spec.choices.push_back(name);
      if (value == initial) spec.default_text = name;
    }
    // Invariant: the field's initial value is one of the named values.
    DETSIM_ASSERT(!spec.default_text.empty());
    knobs_.push_back({std::move(spec), [field, named](const Params& params, const std::string& k, S& out) {
                        const std::string& text = params.text(k);
                        for (const auto& [name, value] : named) {
                          if (name == text) {
                            out.*field = value;
                            return;
                          }
                        }
                        // Invariant: the loader accepted only a declared choice.
                        DETSIM_ASSERT(false && "undeclared choice");
                      }});
    return *this;
  }
  // The knob just bound is drawn per seed from these values by the timing
  // swarm (ParamSpec::swarm), given as --set texts.
  ParamBindings& swarm(std::vector<std::string> values) {
    // Invariant: swarm() follows a knob.
    DETSIM_ASSERT(!knobs_.empty());
    knobs_.back().spec.swarm = std::move(values);
    return *this;
  }
  // A planted bug: `--set bug=NAME` sets the field to true.
  ParamBindings& bug(std::string name, bool S::*field, std::string doc) {
    bugs_.push_back({BugSpec{std::move(name), std::move(doc)}, field});
    return *this;
  }

  std::vector<ParamSpec> specs() const {
    std::vector<ParamSpec> out;
    for (const Knob& knob : knobs_) out.push_back(knob.spec);
    return out;
  }
  std::vector<BugSpec> bugs() const {
    std::vector<BugSpec> out;
    for (const Bug& b : bugs_) out.push_back(b.spec);
    return out;
  }
  // Every bound field from validated params (the loader filled every key),
  // and the field of the bug params.text("bug") names, if any.
  S read(const Params& params) const {
    S out;
    for (const Knob& knob : knobs_) knob.read(params, knob.spec.key, out);
    const std::string& bug = params.text("bug");
    for (const Bug& b : bugs_) out.*(b.field) = b.spec.name == bug;
    return out;
  }

 private:
  struct Knob {
    ParamSpec spec;
    std::function<void(const Params&, const std::string&, S&)> read;
  };
  struct Bug {
    BugSpec spec;
    bool S::*field;
  };

  template <class T, class Get>
  ParamBindings& bind(ParamSpec spec, T S::*field, Get get) {
    spec.default_text = format_param(ParamValue(S{}.*field));
    knobs_.push_back({std::move(spec), [field, get](const Params& params, const std::string& k, S& out) {
                        out.*field = get(params, k);
                      }});
    return *this;
  }

  std::vector<Knob> knobs_;
  std::vector<Bug> bugs_;
};

}  // namespace detsim
