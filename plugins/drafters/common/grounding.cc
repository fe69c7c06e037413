#include "plugins/drafters/common/grounding.h"

#include <algorithm>
#include <iterator>
#include <unordered_set>

namespace squall::drafters {
namespace {

constexpr bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
constexpr bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
constexpr bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }
constexpr bool is_alnum(char c) { return is_lower(c) || is_upper(c) || is_digit(c); }
// Characters a token (an entity name, possibly `kind:name`) is made of; all else separates.
constexpr bool is_token_char(char c) {
  return is_alnum(c) || c == '.' || c == '_' || c == '@' || c == ':' || c == '=' || c == '-';
}

// Splits `text` into tokens with their edges trimmed: leading characters up to the first
// letter or digit, trailing punctuation (a sentence's full stop, a colon, a dash).
template <class F>
void for_each_token(std::string_view text, F&& f) {
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !is_token_char(text[i])) ++i;
    std::size_t j = i;
    while (j < text.size() && is_token_char(text[j])) ++j;
    std::string_view t = text.substr(i, j - i);
    i = j;
    while (!t.empty() && !is_alnum(t.front())) t.remove_prefix(1);
    while (!t.empty() && !is_alnum(t.back())) t.remove_suffix(1);
    if (!t.empty()) f(t);
  }
}

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

template <std::size_t N>
bool one_of(std::string_view s, const std::string_view (&set)[N]) {
  return std::find(std::begin(set), std::end(set), s) != std::end(set);
}

// Words that name an entity's kind: `service:checkout`, `node=ip-10-0-3-8`.
constexpr std::string_view kKindWords[] = {
    "service",  "svc", "node",     "host",    "pod",       "deploy",  "deployment",
    "instance", "db",  "database", "release", "namespace", "cluster", "container"};

// Tech terms with digits or hyphens that are nobody's service name.
constexpr std::string_view kTechTerms[] = {
    "k8s",  "k3s", "ipv4",   "ipv6",   "http2", "http3",  "h2",      "h3",      "oauth2", "utf-8",
    "utf8", "x86", "x86-64", "x86_64", "arm64", "amd64",  "aarch64", "s3",      "ec2",    "l4",
    "l7",   "2fa", "e2e",    "i18n",   "p2p",   "base64", "sha256",  "sha-256", "md5",    "e-mail"};

// Parts of English hyphenated compounds that are (almost) never part of a service name: any one
// of them makes the compound English (`follow-up`, `out-of-memory`, `re-deploy`, `on-call`).
constexpr std::string_view kFunctionParts[] = {
    "an",   "and",  "anti",  "as",    "at",    "back",    "by",    "co",    "cross", "de",
    "down", "ever", "for",   "half",  "ill",   "in",      "inter", "intra", "into",  "is",
    "it",   "mid",  "multi", "non",   "of",    "off",     "on",    "only",  "or",    "out",
    "over", "per",  "post",  "pre",   "re",    "self",    "semi",  "so",    "sub",   "super",
    "the",  "to",   "un",    "under", "up",    "via",     "well",  "with",  "ahead", "like",
    "free", "wide", "aware", "safe",  "ready", "specific"};

// Generic words: a compound made only of these and function parts is English (`root-cause`,
// `error-rate`, `connection-pool`, `long-running`).
constexpr std::string_view kGenericParts[] = {
    "root",         "cause",     "causes",    "error",      "errors",
    "rate",         "rates",     "latency",   "memory",     "cpu",
    "disk",         "io",        "network",   "connection", "connections",
    "pool",         "pools",     "leak",      "leaks",      "limit",
    "limits",       "limited",   "health",    "check",      "checks",
    "time",         "times",     "series",    "node",       "nodes",
    "service",      "services",  "level",     "based",      "related",
    "induced",      "driven",    "bound",     "pressure",   "saturation",
    "saturated",    "traffic",   "load",      "request",    "requests",
    "response",     "timeout",   "timeouts",  "retry",      "retries",
    "storm",        "cascade",   "cascading", "failure",    "failures",
    "fault",        "faults",    "term",      "run",        "running",
    "known",        "date",      "call",      "calls",      "case",
    "scale",        "rollout",   "roll",      "rollback",   "deploy",
    "deployment",   "change",    "changes",   "config",     "configuration",
    "release",      "version",   "upstream",  "downstream", "dependency",
    "dependencies", "dependent", "alert",     "alerts",     "alerting",
    "incident",     "high",      "low",       "long",       "short",
    "single",       "end",       "user",      "facing",     "side",
    "server",       "client",    "first",     "second",     "last",
    "day",          "hour",      "minute",    "real",       "read",
    "write",        "startup",   "start",     "crash",      "loop",
    "restart",      "restarts",  "spike",     "wait",       "zero",
    "full",         "evidence",  "human",     "probe",      "readiness",
    "http",         "grpc",      "api"};

// True for numbers and quantities: `0.81`, `18%`, `30s`, `5xx`, `99th`, `1.5s`, `10-20ms`,
// `2h5m`, `10:02:03`, `2025-11-24`, `p99`, `v2.3.1`, `3x`. Dotted quads are addresses, not numbers.
bool is_quantity(std::string_view t) {
  if ((t.front() == 'p' || t.front() == 'v' || t.front() == 'x') && t.size() > 1 &&
      std::all_of(t.begin() + 1, t.end(), [](char c) { return is_digit(c) || c == '.'; }))
    return true;
  std::size_t i = 0, dots = 0;
  while (i < t.size() && (is_digit(t[i]) || t[i] == '.' || t[i] == ',' || t[i] == ':' ||
                          t[i] == '-' || t[i] == '%')) {
    if (t[i] == '.') ++dots;
    ++i;
  }
  if (i == 0 || !is_digit(t.front())) return false;
  if (dots >= 3) return false;  // 10.0.3.8: an address
  std::string_view unit = t.substr(i);
  if (unit.empty()) return true;
  if (unit.size() <= 3 && std::all_of(unit.begin(), unit.end(), is_lower)) return true;
  // Durations written as `2h5m`, `1m30s`.
  return std::all_of(t.begin(), t.end(), [](char c) {
    return is_digit(c) || c == 'h' || c == 'm' || c == 's' || c == 'd';
  });
}

// Words that follow a number in an English compound (`30-second`, `3-node`, `2-step`).
constexpr std::string_view kUnitWords[] = {
    "second",   "seconds", "minute",   "minutes", "hour", "hours", "day",
    "days",     "week",    "weeks",    "fold",    "step", "way",   "node",
    "nodes",    "service", "services", "percent", "core", "cores", "replica",
    "replicas", "pod",     "pods",     "digit",   "bit",  "byte",  "bytes"};

// True for compounds like `follow-up`, `root-cause`, `out-of-memory`, `p99-latency`, `30-second`:
// one function part, or only generic parts and quantities. A bare number not followed by a unit
// word makes a name (`node-01`, `ip-10-0-3-8`).
bool is_english_compound(std::string_view t) {
  if (!contains(t, "-") || contains(t, "@") || contains(t, "_")) return false;
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = t.find('-', start);
    parts.push_back(t.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  bool function = false, all_generic = true;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string_view part = parts[i];
    if (part.empty()) return false;
    if (std::all_of(part.begin(), part.end(), is_digit)) {
      if (i + 1 == parts.size() || !one_of(parts[i + 1], kUnitWords)) return false;
      continue;
    }
    if (is_digit(part.front()) || std::any_of(part.begin(), part.end(), is_digit)) {
      if (!is_quantity(part)) return false;
      continue;
    }
    if (!std::all_of(part.begin(), part.end(), is_lower)) return false;
    if (one_of(part, kFunctionParts)) function = true;
    if (!one_of(part, kGenericParts) && !one_of(part, kUnitWords)) all_generic = false;
  }
  return function || all_generic;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (is_upper(c)) c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Last parts that make a hyphenated word a service's name (`payments-api`, `inventory-service`).
constexpr std::string_view kServiceSuffixes[] = {
    "api",       "svc",        "service",  "db",       "gateway", "gw",       "worker",
    "workers",   "server",     "proxy",    "cache",    "queue",   "consumer", "producer",
    "adapter",   "sync",       "indexer",  "exporter", "sender",  "portal",   "web",
    "bff",       "frontend",   "backend",  "ui",       "app",     "broker",   "store",
    "scheduler", "controller", "operator", "cron",     "lb",      "ingress",  "redis",
    "postgres",  "mysql",      "kafka",    "mongo",    "es",      "primary",  "replica"};

// Label names whose values are entities (their parts hint at what a name in a draft refers to).
constexpr std::string_view kEntityLabels[] = {
    "service", "node", "pod",         "deploy",    "deployment", "instance", "job",  "container",
    "host",    "app",  "statefulset", "daemonset", "database",   "topic",    "queue"};

enum class Shape {
  kNone,      // not a name
  kName,      // certainly shaped like a name: digits, '@', '_', or `kind:name`
  kCompound,  // a lowercase hyphenated word that is not a known English compound
};

struct Shaped {
  Shape shape = Shape::kNone;
  std::string_view name;
};

Shaped shape_of(std::string_view t) {
  const std::size_t sep = t.find_first_of(":=");
  if (sep != std::string_view::npos && sep > 0) {
    std::string_view name = t.substr(sep + 1);
    while (!name.empty() && !is_alnum(name.front())) name.remove_prefix(1);
    if (!name.empty() && one_of(std::string_view(lower(t.substr(0, sep))), kKindWords))
      return {Shape::kName, name};
  }
  if (std::any_of(t.begin(), t.end(), is_upper)) return {};
  if (!is_lower(t.front()) && !is_digit(t.front())) return {};
  const bool digit = std::any_of(t.begin(), t.end(), is_digit);
  const bool marked = digit || contains(t, "@") || contains(t, "_");
  if (!marked && !contains(t, "-")) return {};
  if (digit && is_quantity(t)) return {};
  if (one_of(t, kTechTerms) || is_english_compound(t)) return {};
  return {marked ? Shape::kName : Shape::kCompound, t};
}

template <class F>
void for_each_part(std::string_view name, F&& f) {
  std::size_t start = 0;
  while (start <= name.size()) {
    std::size_t end = name.find_first_of("-_.@:", start);
    if (end == std::string_view::npos) end = name.size();
    f(name.substr(start, end - start));
    start = end + 1;
  }
}

// The distinctive parts of the bundle's entity names (`orders`, `payments`, `gateway`), for
// telling a name like `payments-gateway` from an English compound like `top-ranked`.
class EntityParts {
 public:
  explicit EntityParts(const BundleView& b) {
    for (const std::string& s : b.services) add(s);
    for (const std::string& s : b.nodes) add(s);
    for (const TimelineEntry& t : b.timeline) add(t.service);
    for (const ChangeEntry& c : b.changes) add(c.service);
    for (const HypothesisEntry& h : b.root_cause) {
      add(h.service);
      add(h.node);
      add(h.zone);
    }
    for (const Exemplar& x : b.exemplars)
      for (const auto& [k, v] : x.labels)
        if (one_of(std::string_view(k), kEntityLabels)) add(v);
  }
  [[nodiscard]] bool shares_part(std::string_view name) const {
    bool shared = false;
    for_each_part(name,
                  [&](std::string_view p) { shared = shared || parts_.count(std::string(p)); });
    return shared;
  }

 private:
  void add(std::string_view name) {
    for_each_part(name, [&](std::string_view p) {
      if (p.size() >= 3 && !std::all_of(p.begin(), p.end(), is_digit) &&
          !one_of(p, kGenericParts) && !one_of(p, kFunctionParts) && !one_of(p, kUnitWords))
        parts_.emplace(p);
    });
  }
  std::unordered_set<std::string> parts_;
};

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool is_kind_word(std::string_view w) {
  const std::string l = lower(w);
  std::string_view v = l;
  if (v.size() > 3 && v.back() == 's') v.remove_suffix(1);  // services, nodes, pods
  return one_of(v, kKindWords);
}

// A hyphenated word is taken for a name when it ends like one (`-api`, `-service`), shares a
// distinctive part with the bundle's entities (`payments-gateway` beside `payments`), or stands
// next to a kind word (`the checkout-web service`) without reading as an adjective (`-ed`, `-ing`).
bool is_plausible_name(std::string_view t, std::string_view prev, std::string_view next,
                       const EntityParts& parts) {
  const std::string_view last = t.substr(t.rfind('-') + 1);
  if (one_of(last, kServiceSuffixes)) return true;
  if (parts.shares_part(t)) return true;
  if (ends_with(last, "ed") || ends_with(last, "ing")) return false;
  return is_kind_word(prev) || is_kind_word(next);
}

// Every token of the bundle's strings, and its parts around ':', '=' and '@'.
class KnownNames {
 public:
  explicit KnownNames(const BundleView& b) {
    for (const std::string& s : b.strings) {
      names_.insert(s);
      for_each_token(s, [&](std::string_view t) { add(t); });
    }
  }
  // `name` is a known token, or made of known tokens around ':' and '=' (`ip-10-0-3-8:9100`).
  [[nodiscard]] bool has(std::string_view name) const {
    if (names_.count(std::string(name)) > 0) return true;
    if (name.find_first_of(":=") == std::string_view::npos) return false;
    bool any = false;
    std::size_t start = 0;
    while (start <= name.size()) {
      std::size_t end = name.find_first_of(":=", start);
      if (end == std::string_view::npos) end = name.size();
      const std::string_view part = name.substr(start, end - start);
      if (!part.empty()) {
        if (names_.count(std::string(part)) == 0) return false;
        any = true;
      }
      start = end + 1;
    }
    return any;
  }

 private:
  void add(std::string_view t) {
    names_.emplace(t);
    std::size_t start = 0;
    while (true) {
      const std::size_t end = t.find_first_of(":=@", start);
      if (end == std::string_view::npos) break;
      if (end > start) names_.emplace(t.substr(start, end - start));
      start = end + 1;
    }
    if (start > 0 && start < t.size()) names_.emplace(t.substr(start));
  }
  std::unordered_set<std::string> names_;
};

std::string_view strip_quotes(std::string_view s) {
  static constexpr std::string_view kQuotes = "\"'`";
  while (s.size() >= 2 && s.front() == s.back() &&
         kQuotes.find(s.front()) != std::string_view::npos)
    s = s.substr(1, s.size() - 2);
  return s;
}

constexpr bool is_key_char(char c) { return is_alnum(c) || c == '_' || c == '.' || c == '-'; }

// True when `e` is `key: value` / `key=value` (value possibly quoted) of a string member.
bool is_member_quote(std::string_view e,
                     const std::vector<std::pair<std::string, std::string>>& members) {
  std::size_t k = 0;
  while (k < e.size() && is_key_char(e[k])) ++k;
  if (k == 0) return false;
  const std::string_view key = e.substr(0, k);
  std::size_t v = k;
  while (v < e.size() && e[v] == ' ') ++v;
  if (v >= e.size() || (e[v] != ':' && e[v] != '=')) return false;
  ++v;
  while (v < e.size() && e[v] == ' ') ++v;
  const std::string_view value = strip_quotes(e.substr(v));
  if (value.empty()) return false;
  for (const auto& [mk, mv] : members)
    if (mk == key && contains(normalize_whitespace(mv), value)) return true;
  return false;
}

class Corpus {
 public:
  explicit Corpus(const BundleView& b)
      : raw_(normalize_whitespace(b.raw)), members_(b.string_members) {
    values_.reserve(b.strings.size());
    for (const std::string& s : b.strings) values_.push_back(normalize_whitespace(s));
  }
  [[nodiscard]] bool supports(std::string_view evidence) const {
    const std::string norm = normalize_whitespace(evidence);
    const std::string_view e = strip_quotes(norm);
    if (e.size() < 3) return false;
    for (const std::string& v : values_)
      if (contains(v, e)) return true;
    if (contains(raw_, e)) return true;
    return is_member_quote(e, members_);
  }

 private:
  std::string raw_;
  const std::vector<std::pair<std::string, std::string>>& members_;
  std::vector<std::string> values_;
};

}  // namespace

std::string normalize_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  for (char c : s) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

std::vector<std::string> entity_candidates(std::string_view text, const BundleView& bundle) {
  std::vector<std::string_view> tokens;
  for_each_token(text, [&](std::string_view t) { tokens.push_back(t); });
  const EntityParts parts(bundle);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const Shaped s = shape_of(tokens[i]);
    if (s.shape == Shape::kNone) continue;
    if (s.shape == Shape::kCompound &&
        !is_plausible_name(s.name, i > 0 ? tokens[i - 1] : std::string_view(),
                           i + 1 < tokens.size() ? tokens[i + 1] : std::string_view(), parts))
      continue;
    if (std::find(out.begin(), out.end(), s.name) == out.end()) out.emplace_back(s.name);
  }
  return out;
}

void ground(Draft& draft, const BundleView& bundle) {
  const Corpus corpus(bundle);
  std::vector<std::string> kept;
  for (std::string& e : draft.evidence) {
    if (corpus.supports(e))
      kept.push_back(std::move(e));
    else if (std::find(draft.unsupported_evidence.begin(), draft.unsupported_evidence.end(), e) ==
             draft.unsupported_evidence.end())
      draft.unsupported_evidence.push_back(std::move(e));
  }
  draft.evidence = std::move(kept);

  const KnownNames known(bundle);
  draft.unsupported_entities.clear();
  const std::vector<std::string> names = entity_candidates(draft.likely_cause, bundle);
  for (const std::string& name : names)
    if (!known.has(name)) draft.unsupported_entities.push_back(name);

  draft.grounding.checked = static_cast<std::uint32_t>(
      draft.evidence.size() + draft.unsupported_evidence.size() + names.size());
  draft.grounding.unsupported = static_cast<std::uint32_t>(draft.unsupported_evidence.size() +
                                                           draft.unsupported_entities.size());
  draft.needs_human_check = true;
}

}  // namespace squall::drafters
