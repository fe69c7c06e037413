#include "io/store/bundle_log.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/io/store/temp_dir.h"

namespace squall::store {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::read_file;
using testing::read_lines;
using testing::TempDir;

// A 10-byte line: {"n":NNN}\n
std::string line(int n) {
  std::string digits = std::to_string(n);
  return "{\"n\":" + std::string(3 - digits.size(), '0') + digits + "}\n";
}

TEST(BundleLog, SplitsOneAppendAtLineEndsAcrossRotations) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  std::string path = tmp.file("b.ndjson");
  auto log = BundleLog::open(path, 35, 2);  // three 10-byte lines a file
  ASSERT_TRUE(log.has_value()) << log.error().message;
  std::string lines;
  for (int i = 0; i < 8; ++i) lines += line(i);
  ASSERT_TRUE((*log)->append(lines).has_value());
  EXPECT_EQ((*log)->rotations(), 2u);
  EXPECT_EQ(read_file(path + ".2"), line(0) + line(1) + line(2));
  EXPECT_EQ(read_file(path + ".1"), line(3) + line(4) + line(5));
  EXPECT_EQ(read_file(path), line(6) + line(7));
  EXPECT_EQ((*log)->size_bytes(), 20u);

  // One more rotation drops the oldest file's lines, never more than max_files rotated files.
  ASSERT_TRUE((*log)->append(line(8) + line(9)).has_value());
  EXPECT_EQ(read_file(path + ".2"), line(3) + line(4) + line(5));
  EXPECT_EQ(read_file(path + ".1"), line(6) + line(7) + line(8));
  EXPECT_EQ(read_file(path), line(9));
  EXPECT_FALSE(std::filesystem::exists(path + ".3"));
}

TEST(BundleLog, GivesALineLongerThanMaxBytesAFileOfItsOwn) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  std::string path = tmp.file("b.ndjson");
  auto log = BundleLog::open(path, 15, 3);
  ASSERT_TRUE(log.has_value()) << log.error().message;
  std::string big = "{\"big\":\"" + std::string(40, 'x') + "\"}\n";
  ASSERT_TRUE((*log)->append(line(1) + big + line(2)).has_value());
  EXPECT_EQ(read_file(path + ".2"), line(1));
  EXPECT_EQ(read_file(path + ".1"), big);
  EXPECT_EQ(read_file(path), line(2));
}

TEST(BundleLog, KeepsNoRotatedFileWithMaxFilesZero) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  std::string path = tmp.file("b.ndjson");
  auto log = BundleLog::open(path, 25, 0);
  ASSERT_TRUE(log.has_value()) << log.error().message;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*log)->append(line(i)).has_value());
  EXPECT_EQ(read_file(path), line(4));
  EXPECT_FALSE(std::filesystem::exists(path + ".1"));
  EXPECT_EQ((*log)->rotations(), 2u);
}

TEST(BundleLog, AppendsToAnExistingFileAndClosesALineCutShort) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  std::string path = tmp.file("b.ndjson");
  {
    std::ofstream out(path, std::ios::binary);
    out << "{\"a\":1}\n{\"b\":";  // a crash in the middle of a line
  }
  auto log = BundleLog::open(path, 0, 2);
  ASSERT_TRUE(log.has_value()) << log.error().message;
  ASSERT_TRUE((*log)->append("{\"c\":3}\n").has_value());
  EXPECT_THAT(read_lines(path), ElementsAre("{\"a\":1}", "{\"b\":", "{\"c\":3}"));
}

TEST(BundleLog, CountsWhatIsAlreadyThereTowardsMaxBytes) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  std::string path = tmp.file("b.ndjson");
  {
    auto log = BundleLog::open(path, 25, 2);
    ASSERT_TRUE(log.has_value()) << log.error().message;
    ASSERT_TRUE((*log)->append(line(1) + line(2)).has_value());
  }
  auto log = BundleLog::open(path, 25, 2);
  ASSERT_TRUE(log.has_value()) << log.error().message;
  EXPECT_EQ((*log)->size_bytes(), 20u);
  ASSERT_TRUE((*log)->append(line(3)).has_value());
  EXPECT_EQ(read_file(path + ".1"), line(1) + line(2));
  EXPECT_EQ(read_file(path), line(3));
}

TEST(BundleLog, OpenNamesTheFileItCannotCreate) {
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  std::string path = tmp.file("missing/b.ndjson");
  auto log = BundleLog::open(path, 0, 2);
  ASSERT_FALSE(log.has_value());
  EXPECT_THAT(log.error().message, HasSubstr(path));
}

}  // namespace
}  // namespace squall::store
