#include <gtest/gtest.h>

#include "dptrain/config/config.h"
#include "dptrain/error.h"

namespace dptrain {
namespace {

TEST(Config, ValidatesEachOption) {
  TrainConfig c;
  c.data = "x.h5";
  EXPECT_NO_THROW(validate(c));
  auto message = [](TrainConfig bad) {
    try {
      validate(bad);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  TrainConfig bad = c;
  bad.batch_size = 0;
  EXPECT_EQ(message(bad), "--batch-size must be at least 1 (got 0)");
  bad = c;
  bad.lr = -1;
  EXPECT_EQ(message(bad), "--lr must be positive (got -1)");
  bad = c;
  bad.threads = 0;
  EXPECT_EQ(message(bad), "--threads must be at least 1 (got 0)");
  bad = c;
  bad.data.clear();
  EXPECT_NE(message(bad).find("--data is required"), std::string::npos);
}

}  // namespace
}  // namespace dptrain
