// squall replay end to end: outputs per docs/DESIGN.md, identical bytes for any thread split.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "engine/correlate/correlator.h"
#include "tools/replay/replay_command.h"
#include "tools/storm/storm.h"

namespace squall::replay {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Captures a FILE* into a string.
struct Capture {
  Capture() { f = open_memstream(&buf, &len); }
  ~Capture() {
    if (f) std::fclose(f);
    std::free(buf);
  }
  std::string text() {
    std::fflush(f);
    return std::string(buf, len);
  }
  std::FILE* f = nullptr;
  char* buf = nullptr;
  std::size_t len = 0;
};

class Replay : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string tmpl = (fs::temp_directory_path() / "squall-replay-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = new fs::path(tmpl);
    for (auto [scenario, name] :
         {std::pair{storm::Scenario::k3am, "3am"}, {storm::Scenario::kBusyHour, "busy"}}) {
      storm::StormOptions so;
      so.scenario = scenario;
      so.seed = 3;
      if (scenario == storm::Scenario::kBusyHour) so.alerts = 3000;
      so.out_dir = (*dir_ / name).string();
      auto s = storm::generate_storm(so);
      ASSERT_TRUE(s.has_value()) << s.error().message;
    }
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
  }

  struct Result {
    int code = 0;
    std::string out, err, assignments, bundles;
  };
  static Result run(ReplayOptions o, const std::string& tag) {
    o.assignments = (*dir_ / (tag + ".tsv")).string();
    o.bundles = (*dir_ / (tag + ".bundles.ndjson")).string();
    o.progress = false;
    Capture out, err;
    Result r;
    r.code = run_replay(o, out.f, err.f);
    r.out = out.text();
    r.err = err.text();
    r.assignments = slurp(o.assignments);
    r.bundles = slurp(o.bundles);
    return r;
  }
  static ReplayOptions storm_options(const std::string& name, int parse, int shard) {
    ReplayOptions o;
    o.input = (*dir_ / name / "alerts.ndjson").string();
    o.topology = (*dir_ / name / "topology.yaml").string();
    o.parse_threads = parse;
    o.shard_threads = shard;
    o.chunk_bytes = 16 * 1024;  // many chunks even for a small storm
    return o;
  }
  static fs::path* dir_;
};
fs::path* Replay::dir_ = nullptr;

TEST_F(Replay, AssignsEveryAlertOfTheTruthInInputOrder) {
  const Result r = run(storm_options("3am", 1, 1), "3am");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = lines(r.assignments);
  const auto truth = lines(slurp(*dir_ / "3am" / "truth.tsv"));
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0], "alert_id\tincident");
  ASSERT_EQ(rows.size(), truth.size());
  std::set<std::string> incidents;
  for (std::size_t i = 1; i < rows.size(); ++i) {
    const auto tab = rows[i].find('\t');
    ASSERT_NE(tab, std::string::npos);
    EXPECT_EQ(rows[i].substr(0, tab), truth[i].substr(0, truth[i].find('\t'))) << "row " << i;
    EXPECT_THAT(rows[i].substr(tab + 1), ::testing::StartsWith("inc-"));
    incidents.insert(rows[i].substr(tab + 1));
  }
  // Every final incident has a closed final bundle.
  std::set<std::string> closed;
  for (const auto& b : lines(r.bundles)) {
    ASSERT_EQ(b.front(), '{');
    const auto k = b.find("\"incident\":\"");
    ASSERT_NE(k, std::string::npos);
    const auto id = b.substr(k + 12, b.find('"', k + 12) - (k + 12));
    if (b.find("\"state\":\"closed\"") != std::string::npos) closed.insert(id);
  }
  for (const auto& inc : incidents) EXPECT_TRUE(closed.count(inc)) << inc;
  EXPECT_THAT(r.out, HasSubstr(std::to_string(rows.size() - 1) + " alerts → " +
                               std::to_string(incidents.size()) + " incidents"));
  EXPECT_THAT(r.out, HasSubstr("top hypothesis:"));
}

TEST_F(Replay, SameBytesWhateverTheThreads) {
  const Result base = run(storm_options("busy", 0, 0), "busy-0-0");
  ASSERT_EQ(base.code, 0) << base.err;
  ASSERT_GT(base.bundles.size(), 0u);
  for (auto [p, s] : {std::pair{1, 1}, {2, 1}, {1, 2}, {2, 2}}) {
    const std::string tag = "busy-" + std::to_string(p) + "-" + std::to_string(s);
    const Result r = run(storm_options("busy", p, s), tag);
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(r.assignments == base.assignments) << tag;
    EXPECT_TRUE(r.bundles == base.bundles) << tag;
  }
}

// A regular file is mapped and parsed in place; a pipe or --no-mmap reads it into chunks. Both
// cut chunks at line ends the same way: the same bytes out, for any chunk size and thread split.
TEST_F(Replay, MappedAndReadInputGiveTheSameBytes) {
  for (std::size_t chunk : {std::size_t{4096}, std::size_t{1} << 20}) {
    for (auto [p, s] : {std::pair{0, 0}, {1, 1}}) {
      ReplayOptions o = storm_options("busy", p, s);
      o.chunk_bytes = chunk;
      o.map_input = false;
      const std::string tag = "busy-read-" + std::to_string(chunk) + "-" + std::to_string(p);
      const Result read = run(o, tag);
      ASSERT_EQ(read.code, 0) << read.err;
      o.map_input = true;
      const Result mapped = run(o, tag + "-mapped");
      ASSERT_EQ(mapped.code, 0) << mapped.err;
      EXPECT_TRUE(mapped.assignments == read.assignments) << tag;
      EXPECT_TRUE(mapped.bundles == read.bundles) << tag;
    }
  }
}

// Lines longer than a chunk: one within the line limit is parsed whole, one over it is rejected by
// its length and the lines around it are kept, mapped or read.
TEST_F(Replay, LinesLongerThanAChunkAreParsedOrRejectedWhole) {
  const fs::path file = *dir_ / "long-lines.ndjson";
  {
    std::ofstream f(file);
    f << R"({"id":"a1","ts":1000,"labels":{"alertname":"A","service":"x"}})"
      << "\n";
    f << R"({"id":"a2","ts":2000,"labels":{"alertname":"B","service":"x"},)"
      << R"("annotations":{"description":")" << std::string(40 * 1024, 'n') << "\"}}\n";
    f << R"({"id":"a3","ts":3000,"labels":{"alertname":"C","service":"x"},)"
      << R"("annotations":{"description":")" << std::string(200 * 1024, 'n') << "\"}}\n";
    f << R"({"id":"a4","ts":4000,"labels":{"alertname":"D","service":"x"}})";  // no final newline
  }
  for (bool map : {true, false}) {
    ReplayOptions o;
    o.input = file.string();
    o.parse_threads = 0;
    o.shard_threads = 0;
    o.chunk_bytes = 16 * 1024;
    o.map_input = map;
    const Result r = run(o, map ? "long-mapped" : "long-read");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto rows = lines(r.assignments);
    ASSERT_EQ(rows.size(), 4u) << r.assignments;  // header, a1, a2, a4
    EXPECT_THAT(rows[1], ::testing::StartsWith("a1\t"));
    EXPECT_THAT(rows[2], ::testing::StartsWith("a2\t"));
    EXPECT_THAT(rows[3], ::testing::StartsWith("a4\t"));
    EXPECT_THAT(r.err, HasSubstr("long-lines.ndjson:3: too_large")) << (map ? "mapped" : "read");
  }
}

TEST_F(Replay, PartitionedSameBytesForOneOrTwoShards) {
  ReplayOptions o = storm_options("busy", 1, 1);
  o.partition_by = {"cluster"};
  const Result base = run(o, "busy-part-1");
  ASSERT_EQ(base.code, 0) << base.err;
  o.parse_threads = 2;
  o.shard_threads = 2;
  const Result r = run(o, "busy-part-2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(r.assignments == base.assignments);
  EXPECT_TRUE(r.bundles == base.bundles);
  EXPECT_EQ(lines(r.assignments).size(), lines(slurp(*dir_ / "busy" / "truth.tsv")).size());
}

TEST_F(Replay, ExplainListsTheMembersOfAnIncident) {
  ReplayOptions o = storm_options("3am", 0, 0);
  const Result first = run(o, "3am-explain-pre");
  ASSERT_EQ(first.code, 0) << first.err;
  // The biggest incident is the first one listed in the summary.
  const auto pos = first.out.find("\n  inc-");
  ASSERT_NE(pos, std::string::npos) << first.out;
  const std::string id = first.out.substr(pos + 3, first.out.find(' ', pos + 3) - (pos + 3));
  o.explain = id;
  const Result r = run(o, "3am-explain");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr(id + ": why each alert joined"));
  EXPECT_THAT(r.out, HasSubstr(" via "));
  o.explain = "inc-9-9999";
  const Result missing = run(o, "3am-explain-missing");
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.err, HasSubstr("--explain: no incident 'inc-9-9999'"));
}

// Resolved re-sends that come after their incident closed (Prometheus keeps re-sending a resolved
// alert for 15 minutes) are assigned to that incident in the TSV, shown by --explain, and counted
// in the summary, with or without the assignments file; they open no incident.
TEST_F(Replay, ResolvedResendsAfterTheCloseKeepTheirIncident) {
  const int kQuietMin = static_cast<int>(correlate::Config{}.quiet_period_ms / 60'000);
  const fs::path input = *dir_ / "resends.ndjson";
  {
    std::ofstream f(input);
    const long long t0 = 1764000000000LL;
    auto line = [&](int id, long long t, const char* status) {
      f << R"({"id":"r)" << id << R"(","ts":)" << t0 + t << R"(,"status":")" << status
        << R"(","labels":{"alertname":"HighErrorRate","service":"api"}})" << '\n';
    };
    line(0, 0, "firing");
    line(1, 60'000, "resolved");
    // The incident closes quiet_period after its last firing alert; 6 re-sends come after that.
    for (int m = 2; m <= kQuietMin + 6; ++m) line(m, m * 60'000LL, "resolved");
  }
  const std::string total = std::to_string(kQuietMin + 7) + " alerts → 1 incidents";
  ReplayOptions o;
  o.input = input.string();
  o.explain = "inc-0-1";
  const Result r = run(o, "resends");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = lines(r.assignments);
  ASSERT_EQ(rows.size(), static_cast<std::size_t>(kQuietMin + 8));
  for (std::size_t i = 1; i < rows.size(); ++i)
    EXPECT_EQ(rows[i], "r" + std::to_string(i - 1) + "\tinc-0-1");
  EXPECT_THAT(r.out, HasSubstr(total));
  EXPECT_THAT(r.out, HasSubstr("6 resolved after close"));
  EXPECT_THAT(r.out, HasSubstr("r" + std::to_string(kQuietMin + 6) + " "));
  EXPECT_THAT(r.out, HasSubstr("resolved re-send after the incident closed"));
  o.explain.clear();
  o.assignments.clear();
  Capture out, err;
  o.progress = false;
  ASSERT_EQ(run_replay(o, out.f, err.f), 0) << err.text();
  EXPECT_THAT(out.text(), HasSubstr(total));
  EXPECT_THAT(out.text(), HasSubstr("6 resolved after close"));
}

TEST_F(Replay, ReportsRejectedLinesAndBadFiles) {
  const fs::path bad = *dir_ / "bad.ndjson";
  std::ofstream(bad)
      << R"({"id":"a1","ts":1000,"labels":{"alertname":"A","service":"x"}})"
         "\n"
      << "{oops\n"
      << R"({"id":"a2","ts":2000,"labels":{"alertname":"B","service":"x"}})";  // no final newline
  ReplayOptions o;
  o.input = bad.string();
  o.parse_threads = 1;
  o.shard_threads = 1;
  Result r = run(o, "bad");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.assignments.substr(0, 24), "alert_id\tincident\na1\tinc");
  EXPECT_THAT(r.assignments, HasSubstr("\na2\tinc-"));
  EXPECT_THAT(r.err, HasSubstr("rejected: bad_json 1"));
  EXPECT_THAT(r.err, HasSubstr("bad.ndjson:2: bad_json"));

  o.input = (*dir_ / "missing.ndjson").string();
  r = run(o, "missing");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("missing.ndjson: No such file"));

  o.input = bad.string();
  o.format = "xml";
  r = run(o, "xml");
  EXPECT_EQ(r.code, 2);

  const fs::path topo = *dir_ / "bad-topology.yaml";
  std::ofstream(topo) << "services:\n  a: {depends_on: b}\n";
  o.format = "native";
  o.topology = topo.string();
  r = run(o, "bad-topology");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("bad-topology.yaml:2: services.a.depends_on: expected a list"));
}

TEST_F(Replay, ReadsAlertmanagerBodies) {
  const fs::path am = *dir_ / "am.ndjson";
  std::ofstream(am)
      << R"([{"labels":{"alertname":"A","service":"x"},"startsAt":"2026-11-24T03:00:00Z","endsAt":"2026-11-24T04:00:00Z"}])"
         "\n"
      << R"([{"labels":{"alertname":"B","service":"x"},"startsAt":"2026-11-24T03:00:05Z"},{"labels":{"alertname":"C","service":"x"},"startsAt":"2026-11-24T03:00:06Z"}])"
         "\n";
  ReplayOptions o;
  o.input = am.string();
  o.format = "alertmanager";
  o.now = "2026-11-24T03:00:10Z";
  o.parse_threads = 1;
  o.shard_threads = 1;
  const Result r = run(o, "am");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(lines(r.assignments).size(), 4u);
  EXPECT_THAT(r.out, HasSubstr("3 alerts → 1 incidents"));
}

// Without --assignments replay keeps no row per alert, only counts per incident: the summary
// (alerts, incidents, the largest ones and their sizes) must be the same as with the rows.
TEST_F(Replay, SummaryIsTheSameWithoutTheAssignmentsFile) {
  const Result with = run(storm_options("busy", 1, 1), "busy-summary");
  ASSERT_EQ(with.code, 0) << with.err;
  ReplayOptions o = storm_options("busy", 1, 1);
  o.progress = false;
  Capture out, err;
  ASSERT_EQ(run_replay(o, out.f, err.f), 0) << err.text();
  // Drop the timing lines (they differ run to run); keep the counts and the incident list.
  auto stable = [](const std::string& text) {
    std::string kept;
    for (const auto& l : lines(text))
      if (l.find(" s ") == std::string::npos && l.find("alerts/s") == std::string::npos)
        kept += l + "\n";
    return kept;
  };
  const std::string a = stable(with.out), b = stable(out.text());
  EXPECT_THAT(a, HasSubstr(" alerts → "));
  // Read from each incident's closing bundle, kept or not: a hypothesis with its score.
  EXPECT_THAT(a, ::testing::ContainsRegex("top hypothesis: [a-z].* \\(0\\.[0-9][0-9]\\)"));
  EXPECT_EQ(a, b);
}

// One partition writes its bundles as they come: a failed write is still an error.
TEST_F(Replay, ABundleWriteErrorFailsTheRun) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  ReplayOptions o = storm_options("busy", 1, 1);
  o.bundles = "/dev/full";
  o.progress = false;
  Capture out, err;
  EXPECT_EQ(run_replay(o, out.f, err.f), 1);
  EXPECT_THAT(err.text(), HasSubstr("/dev/full: write error"));
}

// Alerts without an id get "<fingerprint>-<ts>", rebuilt when written rather than stored: the
// assignments file and the bundles' exemplars must agree on it.
TEST_F(Replay, DerivedIdsAgreeBetweenAssignmentsAndBundles) {
  const fs::path f = *dir_ / "noid.ndjson";
  std::ofstream(f) << R"({"ts":1795489200000,"labels":{"alertname":"A","service":"x"}})"
                      "\n"
                   << R"({"ts":1795489201000,"labels":{"alertname":"B","service":"x"}})"
                      "\n"
                   << R"({"ts":1795489202000,"labels":{"alertname":"A","service":"x"}})"
                      "\n";
  ReplayOptions o;
  o.input = f.string();
  o.parse_threads = 1;
  o.shard_threads = 1;
  const Result r = run(o, "noid");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto rows = lines(r.assignments);
  ASSERT_EQ(rows.size(), 4u);
  const std::string first = rows[1].substr(0, rows[1].find('\t'));
  const std::string second = rows[2].substr(0, rows[2].find('\t'));
  EXPECT_THAT(first, ::testing::MatchesRegex("[0-9a-f]{16}-1795489200000"));
  EXPECT_THAT(second, ::testing::MatchesRegex("[0-9a-f]{16}-1795489201000"));
  // The repeat of A has its own derived id (its own ts) and the same fingerprint.
  const std::string third = rows[3].substr(0, rows[3].find('\t'));
  EXPECT_EQ(third.substr(0, 17), first.substr(0, 17));
  EXPECT_THAT(third, ::testing::EndsWith("-1795489202000"));
  // Exemplars name each member by its first alert's id.
  EXPECT_THAT(r.bundles, HasSubstr("\"id\":\"" + first + "\""));
  EXPECT_THAT(r.bundles, HasSubstr("\"id\":\"" + second + "\""));
}

}  // namespace
}  // namespace squall::replay
