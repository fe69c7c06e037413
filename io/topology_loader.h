#pragma once
// Loads the service topology file (docs/DESIGN.md "Topology file", YAML or JSON):
//
//   services:
//     checkout: {depends_on: [orders, payments]}
//     db-orders: {}
//
// Errors name the file, the line and the key: `topo.yaml:3: services.checkout.depends_on: expected
// a list of service names`. Unknown keys are errors. Services mentioned only in depends_on are
// fine.
//
// Thread contract: free functions; load_topology interns into `interner` (which must be safe for
// the caller's thread).
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/interner.h"
#include "engine/core/result.h"
#include "engine/core/topology.h"

namespace squall::io {

// Parses topology text; `source` names it in error messages (a path, or "<string>").
core::Result<std::vector<core::Topology::Entry>> parse_topology(std::string_view text,
                                                                std::string_view source);

// Reads and parses the file at `path`.
core::Result<std::vector<core::Topology::Entry>> read_topology(const std::string& path);

// Reads the file and builds the graph with distances up to `max_hops`.
core::Result<core::Topology> load_topology(const std::string& path, core::Interner& interner,
                                           int max_hops);

}  // namespace squall::io
