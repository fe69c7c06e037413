#pragma once
// The grounding check: every claim a draft quotes must be found in its bundle.
//
// Evidence: each string must occur in the bundle after whitespace normalization (runs of
// whitespace collapsed to one space, ends trimmed, one pair of enclosing quotes dropped): inside
// one of the bundle's string values (labels, annotations, reasons, summaries, timeline, ids, ...),
// as `key: value` / `key=value` of one of its string members, or in its raw JSON text. Quotes
// shorter than 3 characters are never supported.
//
// Entities: names in likely_cause that look like a service, node, deploy or id must be found among
// the tokens of the bundle's strings (services, nodes, root-cause entities, change summaries,
// label values, ids). Designed to flag invented names, never ordinary English:
//   - always checked: lowercase tokens with a digit, '@' or '_' (`ip-10-0-3-8`, `orders@v2.3.1`,
//     `node-01`), and the name in `kind:name` / `kind=name` for a kind word (service, node, host,
//     pod, deploy, ...);
//   - checked when plausible: lowercase hyphenated words (`payments-gateway`) that end like a
//     service (`-api`, `-service`, `-gateway`, `-db`, ...), share a distinctive part with one of
//     the bundle's entities (`payments`), or stand next to a kind word (`the checkout-web
//     service`) and do not end in -ed / -ing;
//   - never checked: plain words, words with capitals (alertnames, acronyms), numbers with units
//     (`30s`, `5xx`, `18%`, `p99`, `2h5m`, `v2`, times, dates), common tech terms (`k8s`, `ipv4`),
//     and English compounds (`follow-up`, `root-cause`, `out-of-memory`, `top-ranked`).
//
// Unsupported items are moved out of `evidence` into `unsupported_evidence` /
// `unsupported_entities` and counted; needs_human_check is forced true.
#include <string>
#include <string_view>
#include <vector>

#include "plugins/drafters/common/bundle_view.h"
#include "plugins/drafters/common/draft.h"

namespace squall::drafters {

// Checks `draft` against `bundle` as described above and records the outcome in it. Idempotent:
// evidence already moved out is checked again only if put back.
void ground(Draft& draft, const BundleView& bundle);

// `s` with whitespace runs collapsed to one space and the ends trimmed.
[[nodiscard]] std::string normalize_whitespace(std::string_view s);

// The names in `text` that the check looks up in `bundle`, each once, in order.
[[nodiscard]] std::vector<std::string> entity_candidates(std::string_view text,
                                                         const BundleView& bundle);

}  // namespace squall::drafters
