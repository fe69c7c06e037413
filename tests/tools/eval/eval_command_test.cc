#include "tools/eval/eval_command.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <CLI/CLI.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace squall::eval {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
namespace fs = std::filesystem;

// Options without designated initializers (g++ 12 warns on the omitted members).
EvalOptions with(std::string assignments, std::string bundles, std::string baseline, bool json) {
  EvalOptions o;
  o.assignments = std::move(assignments);
  o.bundles = std::move(bundles);
  o.baseline = std::move(baseline);
  o.json = json;
  return o;
}

// A tiny storm on disk: two faults merged into one incident, one noise alert, one change event that
// truth.tsv lists but replay never assigns (change events are not scored).
class EvalCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "squall-eval-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    write(
        "alerts.ndjson",
        R"({"id":"c1","ts":500,"kind":"change","labels":{"alertname":"Deploy","service":"orders","change_type":"deploy"}})"
        "\n"
        R"({"id":"a1","ts":1000,"labels":{"alertname":"PoolExhausted","service":"db"}})"
        "\n"
        R"({"id":"a2","ts":2000,"labels":{"alertname":"HighLatency","service":"orders"}})"
        "\n"
        R"({"id":"a3","ts":3000,"labels":{"alertname":"NodeDown","service":"pay","node":"n1"}})"
        "\n"
        R"({"id":"a4","ts":4000,"labels":{"alertname":"DiskFull","service":"misc"}})"
        "\n");
    write("truth.tsv",
          "alert_id\tincident\troot\troot_service\tkind\n"
          "c1\tf1\t0\tdb\tpool\n"
          "a1\tf1\t1\tdb\tpool\n"
          "a2\tf1\t0\tdb\tpool\n"
          "a3\tf2\t1\tnode:n1\tnode-down\n"
          "a4\tnoise-1\t0\t\tnoise\n");
    write("a.tsv", "alert_id\tincident\na1\tinc-1\na2\tinc-1\na3\tinc-1\na4\tinc-2\n");
    write(
        "b.ndjson",
        R"({"incident":"inc-1","version":1,"updated_at":1500,"root_cause":[{"service":"db","node":null}]})"
        "\n"
        R"({"incident":"inc-1","version":2,"updated_at":3500,"root_cause":[{"service":"db","node":null},{"service":"pay","node":"n1"}]})"
        "\n");
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name, std::ios::binary) << text;
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  int run(EvalOptions o) {
    o.storm_dir = dir_.string();
    out_.clear();
    err_.clear();
    return run_eval(o, out_, err_);
  }

  fs::path dir_;
  std::string out_;
  std::string err_;
};

TEST_F(EvalCommand, JsonReportHasAllContractKeysAndHandComputedFigures) {
  // truth {f1,f1,f2,noise-1} vs pred {inc-1,inc-1,inc-1,inc-2}:
  // B³ P = (2²/3 + 1²/3 + 1²/1) / 4 = 2/3, R = (2²/2 + 1²/1 + 1²/1) / 4 = 1.
  // f1 root db is 1st of inc-1's final hypotheses, f2's node n1 2nd: AC@1 = 1/2, AC@3 = 1.
  // TTFB: f1 1000 -> 1500, f2 3000 -> 3500 (1500 predates it): both 500 ms.
  ASSERT_EQ(run(with(path("a.tsv"), path("b.ndjson"), "", true)), 0) << err_;
  for (const char* key :
       {"bcubed_precision", "bcubed_recall", "bcubed_f1", "pairwise_precision", "pairwise_recall",
        "pairwise_f1", "ari", "truth_incidents", "predicted_incidents", "compression",
        "truth_compression", "merges", "fragments_per_fault", "rca_ac1", "rca_ac3"})
    EXPECT_THAT(out_, HasSubstr("\"" + std::string(key) + "\":")) << key;
  EXPECT_EQ(out_.front(), '{');
  EXPECT_EQ(out_.substr(out_.size() - 2), "}\n");
  EXPECT_THAT(out_, HasSubstr(R"("method":"squall","alerts":4,)"));
  EXPECT_THAT(out_, HasSubstr(R"("bcubed_precision":0.6666666666666666,"bcubed_recall":1,)"));
  EXPECT_THAT(out_, HasSubstr(R"("truth_incidents":3,"truth_faults":2,"predicted_incidents":2,)"));
  EXPECT_THAT(out_,
              HasSubstr(R"("compression":2,"truth_compression":1.3333333333333333,"merges":1,)"));
  EXPECT_THAT(out_, HasSubstr(R"("fragments_per_fault":1,"rca_ac1":0.5,"rca_ac3":1,)"));
  EXPECT_THAT(out_, HasSubstr(R"("ttfb_p50_ms":500,"ttfb_max_ms":500})"));
  EXPECT_EQ(err_, "");
}

TEST_F(EvalCommand, AssignmentsWithoutBundlesGiveNullRca) {
  ASSERT_EQ(run(with(path("a.tsv"), "", "", true)), 0) << err_;
  EXPECT_THAT(out_,
              HasSubstr(R"("rca_ac1":null,"rca_ac3":null,"ttfb_p50_ms":null,"ttfb_max_ms":null)"));
}

TEST_F(EvalCommand, TextReportListsFaultsAndMergeDetail) {
  ASSERT_EQ(run(with(path("a.tsv"), path("b.ndjson"), "", false)), 0) << err_;
  EXPECT_THAT(out_, HasSubstr("B-cubed F1"));
  EXPECT_THAT(out_, testing::ContainsRegex("f1 +pool +db +2 +inc-1 +100% +1 +yes +yes +500ms"));
  EXPECT_THAT(out_, testing::ContainsRegex("f2 +node-down +node:n1 +1 +inc-1 +100% +1 +no +yes"));
  EXPECT_THAT(out_, HasSubstr("inc-1 [3 alerts]: f1 (2 alerts), f2 (1 alerts)"));
}

TEST_F(EvalCommand, BaselineGroupsTheStormItself) {
  // group_by=service: db, orders, pay, misc -> four singletons; the change event is skipped.
  ASSERT_EQ(run(with("", "", "group_by=service", true)), 0) << err_;
  EXPECT_THAT(out_, HasSubstr(R"("method":"baseline group_by=service")"));
  EXPECT_THAT(out_, HasSubstr(R"("predicted_incidents":4,)"));
  EXPECT_THAT(out_, HasSubstr(R"("merges":0,)"));
  EXPECT_THAT(out_, HasSubstr(R"("rca_ac1":null)"));
  // group_by=alertname over a 1 s interval changes nothing here; group_by= (empty) merges all.
  ASSERT_EQ(run(with("", "", "group_by=", true)), 0) << err_;
  EXPECT_THAT(out_, HasSubstr(R"("predicted_incidents":1,)"));
  EXPECT_THAT(out_, HasSubstr(R"("merges":1,)"));
}

TEST_F(EvalCommand, AlertsOnLinesTheParserRejectsAreLeftOutWithAWarning) {
  // a5 has no alertname: replay never sees it, so it is not scored (and needs no assignment).
  std::ofstream(dir_ / "alerts.ndjson", std::ios::app)
      << R"({"id":"a5","ts":5000,"labels":{"service":"db"}})"
      << "\n";
  std::ofstream(dir_ / "truth.tsv", std::ios::app) << "a5\tf1\t0\tdb\tpool\n";
  ASSERT_EQ(run(with(path("a.tsv"), "", "", true)), 0) << err_;
  EXPECT_THAT(out_, HasSubstr(R"("alerts":4,)"));
  EXPECT_THAT(err_, HasSubstr("alerts.ndjson: 1 lines rejected by the parser (first: line 6"));
  EXPECT_THAT(err_, HasSubstr("1 alerts of truth.tsv are on rejected lines and not scored"));
}

TEST_F(EvalCommand, MissingAssignmentIsAnErrorNamingTheAlert) {
  write("a.tsv", "alert_id\tincident\na1\tinc-1\na3\tinc-1\na4\tinc-2\n");
  EXPECT_EQ(run(with(path("a.tsv"), "", "", false)), 1);
  EXPECT_THAT(err_, HasSubstr("no line for alert 'a2'"));
  EXPECT_EQ(out_, "");
}

TEST_F(EvalCommand, MalformedTruthIsAnErrorNamingFileAndLine) {
  write("truth.tsv", "alert_id\tincident\troot\troot_service\tkind\na1\tf1\t1\tdb\tpool\na2\tf1\n");
  EXPECT_EQ(run(with(path("a.tsv"), "", "", false)), 1);
  EXPECT_THAT(err_, HasSubstr("truth.tsv:3: expected 5 tab-separated fields"));
}

TEST_F(EvalCommand, MalformedBundlesAreAnErrorNamingFileAndLine) {
  write("b.ndjson", "{\"incident\":\"inc-1\",\"updated_at\":1}\n{oops\n");
  EXPECT_EQ(run(with(path("a.tsv"), path("b.ndjson"), "", false)), 1);
  EXPECT_THAT(err_, HasSubstr("b.ndjson:2: bad JSON"));
}

TEST_F(EvalCommand, RequiresExactlyOneSource) {
  EXPECT_EQ(run(with("", "", "", false)), 2);
  EXPECT_THAT(err_, HasSubstr("exactly one of --assignments"));
  EXPECT_EQ(run(with(path("a.tsv"), "", "group_by=service", false)), 2);
  EXPECT_EQ(run(with("", "", "service", false)), 2);
  EXPECT_THAT(err_, HasSubstr("group_by="));
}

TEST_F(EvalCommand, CliRejectsAssignmentsWithBaselineAndBundlesAlone) {
  CLI::App app;
  register_eval_command(app);
  const std::string dir = dir_.string(), a = path("a.tsv"), b = path("b.ndjson");
  EXPECT_THROW(app.parse("eval " + dir + " --assignments " + a + " --baseline group_by=x", false),
               CLI::ExcludesError);
  app.clear();
  EXPECT_THROW(app.parse("eval " + dir + " --bundles " + b, false), CLI::RequiresError);
}

}  // namespace
}  // namespace squall::eval
