// Parse throughput of each input format beside a simdjson-only ceiling over the same bytes.
//
// The corpus is a storm's alerts.ndjson (SQUALL_BENCH_CORPUS=path; bench/run.sh makes one with
// `squall storm`), or a small built-in sample for the smoke run. The Alertmanager v2 and webhook
// corpora are the same alerts re-encoded in those formats, 100 alerts per body.
//
// Ceiling = simdjson On-Demand iterating the same documents and touching every field and string
// (no copy, no interning, no hashing). Ours = Parser: validate, copy, intern, sort, fingerprint.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include "engine/core/json_writer.h"
#include "engine/core/time.h"
#include "engine/parse/parser.h"

namespace {

namespace od = simdjson::ondemand;
using squall::core::AlertBatch;
using squall::core::Interner;
using squall::parse::Parser;

constexpr std::size_t kChunkBytes = 64 * 1024;  // what one socket read might deliver
constexpr std::size_t kAlertsPerBody = 100;

const char* const kSample[] = {
    R"({"id":"a-000001","ts":1764000000123,"status":"firing","labels":{"alertname":"HighErrorRate","service":"checkout","namespace":"shop","pod":"checkout-7f9c4-x2l9q","node":"ip-10-0-3-8","cluster":"eu-west-1","severity":"critical","deploy":"checkout@v2.3.1"},"annotations":{"summary":"5xx ratio 18%"},"value":0.18})",
    R"({"id":"a-000002","ts":1764000000456,"status":"firing","labels":{"alertname":"ConnectionPoolExhausted","service":"db-orders","namespace":"data","pod":"db-orders-0","node":"ip-10-0-1-2","cluster":"eu-west-1","severity":"critical"},"annotations":{"summary":"pool 100/100","description":"all connections in use for 2m"},"value":100})",
    R"({"id":"a-000003","ts":1764000000789,"status":"resolved","labels":{"alertname":"DiskSpaceLow","node":"ip-10-0-9-1","instance":"ip-10-0-9-1:9100","cluster":"eu-west-1","severity":"warning","job":"node"},"annotations":{"summary":"disk 91% full"},"value":0.91})",
    R"({"kind":"change","id":"c-000001","ts":1764000000001,"labels":{"alertname":"Deploy","service":"orders","change_type":"deploy","deploy":"orders@v2.3.1","cluster":"eu-west-1"},"annotations":{"summary":"deploy orders@v2.3.1"}})",
};

struct Corpus {
  std::vector<std::string> native_chunks;  // whole lines, <= kChunkBytes each, padded
  std::vector<std::string> am_bodies;      // Alertmanager v2 arrays
  std::vector<std::string> webhook_bodies;
  std::size_t alerts = 0;
  std::size_t native_bytes = 0, am_bytes = 0, webhook_bytes = 0;
  std::int64_t now_ms = 0;
};

std::string pad(std::string s) {
  const std::size_t n = s.size();
  s.append(simdjson::SIMDJSON_PADDING, ' ');
  s.resize(n);  // capacity keeps the padding readable; size() is the real length
  return s;
}

// Re-encodes parsed alerts as Alertmanager v2 and webhook bodies.
void add_bodies(const AlertBatch& batch, const Interner& in, Corpus& c) {
  std::string am, wh;
  squall::core::JsonWriter a(am), w(wh);
  a.begin_array();
  w.begin_object().kv("version", "4").kv("groupKey", "{}:{}").kv("status", "firing");
  w.kv("receiver", "squall").key("alerts").begin_array();
  for (const auto& alert : batch.alerts) {
    for (squall::core::JsonWriter* j : {&a, &w}) {
      j->begin_object().key("labels").begin_object();
      const auto* l = batch.labels_of(alert);
      for (std::uint32_t i = 0; i < alert.labels_count; ++i)
        j->kv(in.view(l[i].name), in.view(l[i].value));
      j->end_object().key("annotations").begin_object();
      const auto* an = batch.annotations_of(alert);
      for (std::uint32_t i = 0; i < alert.annotations_count; ++i)
        j->kv(batch.str(an[i].name), batch.str(an[i].value));
      j->end_object();
      j->kv("startsAt", squall::core::format_rfc3339_ms(alert.ts_ms));
      if (alert.status == squall::core::Status::kResolved)
        j->kv("endsAt", squall::core::format_rfc3339_ms(alert.ts_ms));
      else
        j->kv("endsAt", "0001-01-01T00:00:00Z");
      j->kv("generatorURL", "http://prometheus:9090/graph");
      if (j == &w) j->kv("status", squall::core::status_name(alert.status));
      j->end_object();
    }
  }
  a.end_array();
  w.end_array().end_object();
  c.am_bytes += am.size();
  c.webhook_bytes += wh.size();
  c.am_bodies.push_back(pad(std::move(am)));
  c.webhook_bodies.push_back(pad(std::move(wh)));
}

Corpus load_corpus() {
  std::string text;
  if (const char* path = std::getenv("SQUALL_BENCH_CORPUS")) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
      std::fprintf(stderr, "parse_bench: cannot read SQUALL_BENCH_CORPUS=%s\n", path);
      std::exit(2);
    }
    std::stringstream ss;
    ss << f.rdbuf();
    text = ss.str();
  } else {
    for (int rep = 0; rep < 256; ++rep)
      for (const char* line : kSample) text.append(line).push_back('\n');
  }
  Corpus c;
  // Native: chunks of whole lines, change events included (they are part of the stream).
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = std::min(text.size(), pos + kChunkBytes);
    if (end < text.size()) {
      const std::size_t nl = text.rfind('\n', end - 1);
      end = nl == std::string::npos || nl < pos ? text.find('\n', pos) : nl;
      end = end == std::string::npos ? text.size() : end + 1;
    }
    c.native_chunks.push_back(pad(text.substr(pos, end - pos)));
    c.native_bytes += end - pos;
    pos = end;
  }
  // Alertmanager formats: only alerts (those formats have no change events).
  Interner in;
  Parser parser(in);
  AlertBatch all, body;
  parser.parse_ndjson(text, all, 0);
  for (const auto& alert : all.alerts) {
    if (alert.kind != squall::core::Kind::kAlert) continue;
    c.now_ms = std::max(c.now_ms, alert.ts_ms);
  }
  std::size_t in_body = 0;
  AlertBatch staged;
  for (std::size_t i = 0; i < all.alerts.size(); ++i) {
    if (all.alerts[i].kind != squall::core::Kind::kAlert) continue;
    ++c.alerts;
    // Copy alert i into `staged` (same interner), flush every kAlertsPerBody.
    staged.append_copy(all, all.alerts[i]);
    if (++in_body == kAlertsPerBody) {
      add_bodies(staged, in, c);
      staged.clear();
      in_body = 0;
    }
  }
  if (in_body > 0) add_bodies(staged, in, c);
  return c;
}

const Corpus& corpus() {
  static const Corpus c = load_corpus();
  return c;
}

// ---- ceiling: simdjson touching every field ----

std::size_t touch(od::value v);

std::size_t touch_object(od::object obj) {
  std::size_t n = 0;
  for (auto f : obj) {
    std::string_view k;
    if (f.unescaped_key().get(k)) return n;
    n += k.size();
    n += touch(f.value());
  }
  return n;
}

std::size_t touch(od::value v) {
  od::json_type t;
  if (v.type().get(t)) return 0;
  switch (t) {
    case od::json_type::object: {
      od::object o;
      return v.get_object().get(o) ? 0 : touch_object(o);
    }
    case od::json_type::array: {
      std::size_t n = 0;
      od::array a;
      if (v.get_array().get(a)) return 0;
      for (auto e : a) {
        od::value ev;
        if (std::move(e).get(ev)) return n;
        n += touch(ev);
      }
      return n;
    }
    case od::json_type::string: {
      std::string_view s;
      return v.get_string().get(s) ? 0 : s.size();
    }
    case od::json_type::number: {
      double d;
      return v.get_double().get(d) ? 0 : static_cast<std::size_t>(d != 0);
    }
    case od::json_type::boolean: {
      bool b;
      return v.get_bool().get(b) ? 0 : b;
    }
    case od::json_type::null:
      return 0;
  }
  return 0;
}

void BM_CeilingNative(benchmark::State& state) {
  const Corpus& c = corpus();
  od::parser parser;
  std::size_t sink = 0, docs = 0;
  for (auto _ : state) {
    for (const std::string& chunk : c.native_chunks) {
      const char* p = chunk.data();
      const char* end = p + chunk.size();
      while (p < end) {
        const char* nl =
            static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)));
        const std::size_t len = static_cast<std::size_t>((nl ? nl : end) - p);
        od::document doc;
        if (!parser.iterate(p, len, static_cast<std::size_t>(end - p) + simdjson::SIMDJSON_PADDING)
                 .get(doc)) {
          od::object o;
          if (!doc.get_object().get(o)) sink += touch_object(o);
        }
        ++docs;
        p += len + 1;
      }
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(static_cast<std::int64_t>(docs));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.native_bytes));
}

void ceiling_bodies(benchmark::State& state, const std::vector<std::string>& bodies,
                    std::size_t bytes) {
  od::parser parser;
  std::size_t sink = 0;
  for (auto _ : state) {
    for (const std::string& b : bodies) {
      od::document doc;
      if (parser.iterate(b.data(), b.size(), b.capacity()).get(doc)) continue;
      od::value v;
      if (!doc.get_value().get(v)) sink += touch(v);
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * corpus().alerts));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void BM_CeilingAlertmanager(benchmark::State& state) {
  ceiling_bodies(state, corpus().am_bodies, corpus().am_bytes);
}
void BM_CeilingWebhook(benchmark::State& state) {
  ceiling_bodies(state, corpus().webhook_bodies, corpus().webhook_bytes);
}

// ---- squall's parser ----

void BM_ParseNative(benchmark::State& state) {
  const Corpus& c = corpus();
  Interner in;
  squall::parse::Limits limits;
  limits.cache_label_sets = state.range(0) != 0;
  Parser parser(in, limits);
  AlertBatch batch;
  std::size_t alerts = 0;
  for (auto _ : state) {
    for (const std::string& chunk : c.native_chunks) {
      batch.clear();
      const auto r = parser.parse_ndjson(chunk, batch, 0, chunk.capacity());
      alerts += r.accepted + r.rejected;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(alerts));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.native_bytes));
  state.counters["rejected"] = static_cast<double>(parser.stats().rejected_total());
}

void parse_bodies(benchmark::State& state, squall::parse::Format format,
                  const std::vector<std::string>& bodies, std::size_t bytes) {
  Interner in;
  squall::parse::Limits limits;
  limits.cache_label_sets = state.range(0) != 0;
  Parser parser(in, limits);
  AlertBatch batch;
  for (auto _ : state) {
    for (const std::string& b : bodies) {
      batch.clear();
      parser.parse(format, b, batch, corpus().now_ms, b.capacity());
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * corpus().alerts));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["rejected"] = static_cast<double>(parser.stats().rejected_total());
}

void BM_ParseAlertmanager(benchmark::State& state) {
  parse_bodies(state, squall::parse::Format::kAlertmanagerV2, corpus().am_bodies,
               corpus().am_bytes);
}
void BM_ParseWebhook(benchmark::State& state) {
  parse_bodies(state, squall::parse::Format::kWebhookV4, corpus().webhook_bodies,
               corpus().webhook_bytes);
}

BENCHMARK(BM_CeilingNative);
// Arg 1: with the label-set cache (the default); 0: every label set parsed in full.
BENCHMARK(BM_ParseNative)->ArgName("cache")->Arg(1)->Arg(0);
BENCHMARK(BM_CeilingAlertmanager);
BENCHMARK(BM_ParseAlertmanager)->ArgName("cache")->Arg(1)->Arg(0);
BENCHMARK(BM_CeilingWebhook);
BENCHMARK(BM_ParseWebhook)->ArgName("cache")->Arg(1)->Arg(0);

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  const Corpus& c = corpus();
  // The On-Demand kernel is chosen at compile time (libsimdjson's builtin_implementation() reports
  // the library's own build, not ours).
#define SQUALL_STR2(x) #x
#define SQUALL_STR(x) SQUALL_STR2(x)
  benchmark::AddCustomContext("simdjson_kernel", SQUALL_STR(SIMDJSON_BUILTIN_IMPLEMENTATION));
  benchmark::AddCustomContext("corpus", std::getenv("SQUALL_BENCH_CORPUS")
                                            ? std::getenv("SQUALL_BENCH_CORPUS")
                                            : "built-in sample");
  benchmark::AddCustomContext("corpus_alerts", std::to_string(c.alerts));
  benchmark::AddCustomContext("corpus_native_bytes", std::to_string(c.native_bytes));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
