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

#include <concepts>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/api/basics.h"
#include "sim/api/model.h"
#include "sim/api/params.h"

namespace detsim {

// A field is a pointer to a member of S (&P::nodes), or, for a field of a
// nested struct, a function of S& that returns a reference to it
// ([](World& w) -> auto& { return w.net.loss; }).
template <class F, class S, class T>
concept FieldOf = requires(F field, S& s) {
  { std::invoke(field, s) } -> std::same_as<T&>;
};

template <class S>
class ParamBindings {
 public:
  // Integer fields of any width; the range bounds the value.
  template <class F>
    requires(FieldOf<F, S, int64_t> || FieldOf<F, S, int> || FieldOf<F, S, uint32_t> || FieldOf<F, S, uint64_t>)
  ParamBindings& integer(std::string key, F field, std::string doc, double min = -kUnbounded, double max = kUnbounded) {
    return bind(make_param(std::move(key), ParamType::integer, "", std::move(doc), min, max), field,
                [](const Params& p, const std::string& k) { return p.integer(k); });
  }
  template <FieldOf<S, double> F>
  ParamBindings& real(std::string key, F field, std::string doc, double min = -kUnbounded, double max = kUnbounded) {
    return bind(make_param(std::move(key), ParamType::real, "", std::move(doc), min, max), field,
                [](const Params& p, const std::string& k) { return p.real(k); });
  }
  // min and max in seconds.
  template <FieldOf<S, Duration> F>
  ParamBindings& duration(std::string key, F field, std::string doc, double min_s, double max_s) {
    return bind(make_param(std::move(key), ParamType::duration, "", std::move(doc), min_s, max_s), field,
                [](const Params& p, const std::string& k) { return p.duration(k); });
  }
  template <FieldOf<S, bool> F>
  ParamBindings& boolean(std::string key, F field, std::string doc) {
    return bind(make_param(std::move(key), ParamType::boolean, "", std::move(doc)), field,
                [](const Params& p, const std::string& k) { return p.boolean(k); });
  }
  // A distribution of durations: "uniform(1ms, 10ms)" (sim/core/duration_dist.h).
  template <FieldOf<S, DurationDist> F>
  ParamBindings& distribution(std::string key, F field, std::string doc) {
    return bind(make_param(std::move(key), ParamType::distribution, "", std::move(doc)), field,
                [](const Params& p, const std::string& k) { return p.distribution(k); });
  }
  // Free text; check returns a one-line reason for bad text, "" for good.
  template <FieldOf<S, std::string> F>
  ParamBindings& text(std::string key, F field, std::string doc, std::function<std::string(std::string_view)> check) {
    ParamSpec spec = make_param(std::move(key), ParamType::text, "", std::move(doc));
    spec.check_text = std::move(check);
    return bind(std::move(spec), field, [](const Params& p, const std::string& k) { return p.text(k); });
  }
  // One of named values of E (an enum, or bool): the scenario names it,
  // the field gets the value. The default is the name of the field's
  // initial value.
  template <class F, class E = std::remove_cvref_t<std::invoke_result_t<F, S&>>>
    requires FieldOf<F, S, E>
  ParamBindings& choice(std::string key, F field, std::string doc,
                        std::vector<std::pair<std::string, std::type_identity_t<E>>> named) {
    ParamSpec spec = make_param(std::move(key), ParamType::choice, "", std::move(doc));
    S initial{};
    for (const auto& [name, value] : named) {
      spec.choices.push_back(name);
      if (value == std::invoke(field, initial)) spec.default_text = name;
    }
    // Invariant: the field's initial value is one of the named values.
    DETSIM_ASSERT(!spec.default_text.empty());
    knobs_.push_back({std::move(spec), [field, named](const Params& params, const std::string& k, S& out) {
                        const std::string& text = params.text(k);
                        for (const auto& [name, value] : named) {
                          if (name == text) {
                            std::invoke(field, out) = value;
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
  // and, if bugs are declared, the field of the bug params.text("bug")
  // names.
  S read(const Params& params) const {
    S out{};
    for (const Knob& knob : knobs_) knob.read(params, knob.spec.key, out);
    if (bugs_.empty()) return out;
    const std::string& bug = params.text("bug");
    for (const Bug& b : bugs_) out.*(b.field) = b.spec.name == bug;
    return out;
  }

 private:
  static constexpr double kUnbounded = std::numeric_limits<double>::infinity();
  struct Knob {
    ParamSpec spec;
    std::function<void(const Params&, const std::string&, S&)> read;
  };
  struct Bug {
    BugSpec spec;
    bool S::*field;
  };

  template <class F, class Get>
  ParamBindings& bind(ParamSpec spec, F field, Get get) {
    S initial{};
    using Value = decltype(get(std::declval<const Params&>(), std::declval<const std::string&>()));
    using Stored = std::remove_cvref_t<Value>;
    spec.default_text = format_param(ParamValue(static_cast<Stored>(std::invoke(field, initial))));
    knobs_.push_back({std::move(spec), [field, get](const Params& params, const std::string& k, S& out) {
                        auto& target = std::invoke(field, out);
                        target = static_cast<std::remove_cvref_t<decltype(target)>>(get(params, k));
                      }});
    return *this;
  }

  std::vector<Knob> knobs_;
  std::vector<Bug> bugs_;
};

}  // namespace detsim
