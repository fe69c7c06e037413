// The draft schema, the config and registry, and the limiters.
#include "plugins/drafters/common/draft.h"

#include <cstdlib>

#include <gtest/gtest.h>

#include "plugins/drafters/common/config.h"
#include "plugins/drafters/common/limiter.h"
#include "plugins/drafters/registry.h"

namespace squall::drafters {
namespace {

constexpr std::string_view kReply =
    R"({"timeline":"t","likely_cause":"c","confidence":0.5,"evidence":["a","b"],)"
    R"("suggested_action":"s","needs_human_check":true})";

TEST(ModelReply, AcceptsTheSchemaPlainFencedOrAfterProse) {
  for (const std::string& text :
       {std::string(kReply), "```json\n" + std::string(kReply) + "\n```",
        "```\n" + std::string(kReply) + "```",
        "Here is the draft:\n```json\n" + std::string(kReply) + "\n```\nHope it helps."}) {
    auto d = parse_model_reply(text);
    ASSERT_TRUE(d) << text << ": " << d.error().message;
    EXPECT_EQ(d->timeline, "t");
    EXPECT_EQ(d->likely_cause, "c");
    EXPECT_DOUBLE_EQ(d->confidence, 0.5);
    EXPECT_EQ(d->evidence, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(d->suggested_action, "s");
  }
}

TEST(ModelReply, IgnoresFieldsThatAreOursAndForcesHumanCheck) {
  auto d = parse_model_reply(
      R"({"timeline":"t","likely_cause":"c","confidence":1,"evidence":[],"suggested_action":"s",)"
      R"("needs_human_check":false,"incident":"inc-evil","drafter":"x","bundle_version":99,)"
      R"("grounding":{"checked":0,"unsupported":0}})");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_TRUE(d->needs_human_check);
  EXPECT_EQ(d->incident, "");
  EXPECT_EQ(d->drafter, "");
  EXPECT_EQ(d->bundle_version, 0u);
}

TEST(ModelReply, RejectsWhatBreaksTheSchema) {
  const std::string long_text(kMaxTextBytes + 1, 'x');
  const std::pair<std::string, std::string> cases[] = {
      {"not json", "not JSON"},
      {"[1,2]", "not a JSON object"},
      {R"({"timeline":"t","likely_cause":"c","confidence":0.5,"evidence":[]})",
       "missing key: suggested_action"},
      {R"({"timeline":"t","likely_cause":"c","confidence":1.5,"evidence":[],"suggested_action":"s"})",
       "confidence: not in [0, 1]"},
      {R"({"timeline":"t","likely_cause":"c","confidence":"0.5","evidence":[],"suggested_action":"s"})",
       "confidence: not a number"},
      {R"({"timeline":"t","likely_cause":"c","confidence":0.5,"evidence":"x","suggested_action":"s"})",
       "evidence: not an array"},
      {R"({"timeline":"t","likely_cause":"c","confidence":0.5,"evidence":[1],"suggested_action":"s"})",
       "evidence: not a string"},
      {R"({"timeline":7,"likely_cause":"c","confidence":0.5,"evidence":[],"suggested_action":"s"})",
       "timeline: not a string"},
      {R"({"timeline":"t","likely_cause":"c","confidence":0.5,"evidence":[],"suggested_action":"s","run":"rm -rf /"})",
       "unknown key: run"},
      {R"({"timeline":"t","timeline":"u","likely_cause":"c","confidence":0.5,"evidence":[],"suggested_action":"s"})",
       "duplicate key: timeline"},
      {R"({"timeline":"t","likely_cause":")" + long_text +
           R"(","confidence":0.5,"evidence":[],"suggested_action":"s"})",
       "likely_cause: longer than"},
  };
  for (const auto& [text, why] : cases) {
    auto d = parse_model_reply(text);
    ASSERT_FALSE(d) << text;
    EXPECT_NE(d.error().message.find(why), std::string::npos) << d.error().message;
  }
  std::string many =
      R"({"timeline":"t","likely_cause":"c","confidence":0.5,"suggested_action":"s","evidence":[)";
  for (std::size_t i = 0; i <= kMaxEvidenceItems; ++i) many += i ? ",\"e\"" : "\"e\"";
  many += "]}";
  EXPECT_FALSE(parse_model_reply(many));
}

TEST(DraftJson, RoundTripsAndIsStrict) {
  Draft d;
  d.incident = "inc-0-17";
  d.bundle_version = 4;
  d.drafter = "anthropic:claude-test";
  d.timeline = "16:00:45 orders HighErrorRate \u00d714";
  d.likely_cause = "bad \"deploy\"";
  d.confidence = 0.7;
  d.evidence = {"earliest onset"};
  d.suggested_action = "roll back orders@v2.3.1";
  d.grounding = {3, 1};
  d.unsupported_evidence = {"made up"};
  d.fallback = "openai:x: timeout";
  const std::string json = to_json(d);
  EXPECT_NE(json.find(R"("needs_human_check":true,"grounding":{"checked":3,"unsupported":1})"),
            std::string::npos)
      << json;
  auto back = from_json(json);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(to_json(*back), json);

  std::string no_check = json;
  no_check.replace(no_check.find("\"needs_human_check\":true"), 24, "\"needs_human_check\":false");
  EXPECT_FALSE(from_json(no_check));
  std::string unknown = json;
  unknown.insert(1, R"("act":"now",)");
  EXPECT_FALSE(from_json(unknown));
  Draft plain = d;
  plain.fallback.clear();
  EXPECT_EQ(to_json(plain).find("fallback"), std::string::npos);
}

TEST(Config, ValidatesAndAppliesOptions) {
  DrafterConfig c;
  EXPECT_TRUE(validate(c));
  EXPECT_TRUE(apply_option(c, "name", "openai"));
  EXPECT_TRUE(apply_option(c, "timeout_ms", "250"));
  EXPECT_EQ(c.timeout_ms, 250);
  EXPECT_TRUE(apply_option(c, "runbook", "service:pg-*=page the DBA for {service}"));
  ASSERT_EQ(c.runbook.size(), 1u);
  EXPECT_EQ(c.runbook[0].kind, "service");
  EXPECT_EQ(c.runbook[0].pattern, "pg-*");
  EXPECT_EQ(c.runbook[0].action, "page the DBA for {service}");
  EXPECT_EQ(effective_runbook(c).size(), 1 + default_runbook().size());
  EXPECT_FALSE(apply_option(c, "timeout_ms", "soon"));
  EXPECT_FALSE(apply_option(c, "max_retries", "99"));
  EXPECT_FALSE(apply_option(c, "runbook", "wizard=cast {spell}"));
  auto unknown = apply_option(c, "temprature", "0");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown key 'temprature'"), std::string::npos);
  c.name = "oracle";
  EXPECT_FALSE(validate(c));
  EXPECT_FALSE(make_drafter(c));
}

TEST(Config, KnowsLocalUrls) {
  EXPECT_TRUE(is_local_url("http://127.0.0.1:8080"));
  EXPECT_TRUE(is_local_url("http://localhost/v1"));
  EXPECT_TRUE(is_local_url("http://[::1]:11434"));
  EXPECT_FALSE(is_local_url("https://api.anthropic.com"));
  EXPECT_FALSE(is_local_url("https://localhost.evil.com"));
  EXPECT_FALSE(is_local_url("http://127.0.0.1@evil.com"));
}

TEST(Registry, MissingApiKeyForARemoteUrlIsAConfigError) {
  ::unsetenv("SQUALL_TEST_NO_SUCH_KEY");
  DrafterConfig c;
  c.name = "anthropic";
  c.api_key_env = "SQUALL_TEST_NO_SUCH_KEY";
  auto d = make_drafter(c);
  ASSERT_FALSE(d);
  EXPECT_NE(d.error().message.find("SQUALL_TEST_NO_SUCH_KEY"), std::string::npos);
  c.name = "openai";
  EXPECT_FALSE(make_drafter(c));
  c.base_url = "http://127.0.0.1:9";  // local: no key needed
  auto local = make_drafter(c);
  ASSERT_TRUE(local) << local.error().message;
  EXPECT_EQ((*local)->name(), "openai:gpt-4o-mini");
  ::setenv("SQUALL_TEST_SOME_KEY", "k", 1);
  c.name = "anthropic";
  c.base_url.clear();
  c.model = "claude-test";
  c.api_key_env = "SQUALL_TEST_SOME_KEY";
  auto remote = make_drafter(c);
  ASSERT_TRUE(remote) << remote.error().message;
  EXPECT_EQ((*remote)->name(), "anthropic:claude-test");
  c.name = "evidence";
  auto ev = make_drafter(c);
  ASSERT_TRUE(ev);
  EXPECT_EQ((*ev)->name(), "evidence");
}

TEST(TokenBucket, RefillsAtTheConfiguredRate) {
  using std::chrono::milliseconds;
  const auto t0 = TokenBucket::Clock::time_point{} + std::chrono::hours(1);
  TokenBucket b(600, t0);  // 10 tokens a second
  EXPECT_EQ(b.try_take(600, t0), milliseconds(0));
  EXPECT_EQ(b.try_take(10, t0), milliseconds(1000));
  EXPECT_EQ(b.try_take(10, t0 + milliseconds(500)), milliseconds(500));
  EXPECT_EQ(b.try_take(10, t0 + milliseconds(1000)), milliseconds(0));
  // More than the capacity is charged the capacity: it waits for a full bucket.
  EXPECT_EQ(b.try_take(5000, t0 + milliseconds(1000)), milliseconds(60'000));
  EXPECT_EQ(b.try_take(5000, t0 + milliseconds(61'000)), milliseconds(0));
  // Charging the real count after an estimate.
  b.adjust(300, t0 + milliseconds(61'000));
  EXPECT_EQ(b.try_take(1, t0 + milliseconds(61'000)), milliseconds(30'100));
  TokenBucket unlimited(0, t0);
  EXPECT_EQ(unlimited.try_take(1'000'000, t0), milliseconds(0));
}

TEST(Semaphore, BoundsPermitsAndWaits) {
  Semaphore s(2);
  EXPECT_TRUE(s.acquire_for(std::chrono::milliseconds(0)));
  {
    SemaphorePermit p(s, std::chrono::milliseconds(0));
    EXPECT_TRUE(p.held());
    EXPECT_FALSE(s.acquire_for(std::chrono::milliseconds(10)));
  }
  EXPECT_TRUE(s.acquire_for(std::chrono::milliseconds(0)));
  s.release();
  s.release();
}

}  // namespace
}  // namespace squall::drafters
