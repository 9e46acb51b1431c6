#pragma once
// The Compute API `filter` parameter, as much of it as the emulator serves: an
// AIP-160 subset (https://google.aip.dev/160) plus the older regular-expression
// terms of instances.list
// (https://cloud.google.com/compute/docs/reference/rest/v1/instances/list).
//
//   filter     := and_expr
//   and_expr   := or_expr ( ["AND"] or_expr )*     juxtaposition is AND
//   or_expr    := primary ( "OR" primary )*        OR binds tighter than AND
//   primary    := "NOT" primary | "(" and_expr ")" | comparison
//   comparison := field op value
//   op         := "=" | "!=" | ":" | "eq" | "ne"
//   value      := "quoted \" string" | bare-word
//
// Fields: status, name, zone, id, labels.KEY, tags.items. `=` and `!=` compare
// exactly; `:` is "contains" (`:*` = present); `eq`/`ne` match the whole value
// against an ECMAScript regex. A missing label equals nothing and differs from
// everything. On tags.items every operator is membership (`!=`/`ne` negated).
// Keywords are upper-case and end at a space, '(' or the end. metadata.* is
// refused, as by the real API (400).

#include <string>
#include <string_view>

#include "gce/emulator/state.hpp"

namespace gce::emulator {

/// The outcome of one filter against one instance.
struct filter_result {
  bool valid = true;   ///< false: the filter does not parse or names an unknown field
  bool match = false;  ///< with valid: whether the instance passes
  std::string error;   ///< with !valid: why, e.g. "unknown field foo"
};

/// Evaluates `filter` against `in`; "" matches everything. Every term is
/// evaluated (no short-circuit), so a syntax error or an unknown field anywhere
/// makes the filter invalid whatever the instance; a bad `eq`/`ne` regex is only
/// noticed when the instance has the field.
filter_result evaluate_filter(std::string_view filter, const emu_instance& in);

}  // namespace gce::emulator
