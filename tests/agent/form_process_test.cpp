// The reporting page in a process of its own (agent/form_process.h): the message the helper sends
// `run` about its start, and real `samband-agent run` processes: idle without [form] it maps no
// web server and no OpenSSL; with [form] it serves through samband-agent-form, starts it again
// when it dies, and stops it with itself.
#include "agent/form_process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <httplib.h>
#include <fstream>
#include <sstream>

#include "agent/form_ready.h"
#include "tests/agent/test_support.h"
#include "tests/support/process.h"

namespace samband::agent {
namespace {

using samband::testing::freePort;
using samband::testing::Process;

TEST(FormReady, SaysReadyOrCarriesTheStartupErrorWithItsKind) {
  EXPECT_TRUE(parseFormReady(formReadyMessage(common::Status())).ok());
  const common::Status taken = common::unavailable(
      "cannot listen on /etc/samband/agent.toml: [form] listen = \"127.0.0.1:8090\": in use");
  const common::Status back = parseFormReady(formReadyMessage(taken));
  ASSERT_FALSE(back.ok());
  EXPECT_EQ(back.error().kind, common::ErrorKind::unavailable);
  EXPECT_EQ(back.error().message, taken.error().message);
  const common::Status bad = parseFormReady(formReadyMessage(common::invalidInput("fix it\nnow")));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, common::ErrorKind::invalidInput);
  EXPECT_EQ(bad.error().message, "fix it\nnow");
}

TEST(FormReady, AnythingElseMeansTheHelperDiedBeforeServing) {
  for (const std::string said : {"", "read", "ready", "ready\nmore", "error 9\nx", "error x\nx",
                                 "error 12\nx", "error 1", "garbage\n"}) {
    const common::Status s = parseFormReady(said);
    ASSERT_FALSE(s.ok()) << said;
    EXPECT_EQ(s.error().kind, common::ErrorKind::internal) << said;
    EXPECT_NE(s.error().message.find(kFormHelperName), std::string::npos) << said;
  }
}

std::string mapsOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/maps");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The child processes of `pid` (Linux's /proc/PID/task/PID/children).
std::vector<pid_t> childrenOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<pid_t> out;
  for (long c; in >> c;) out.push_back(static_cast<pid_t>(c));
  return out;
}

class AgentRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // No broker: `run` keeps trying to connect, which is all these tests need.
    agent = test::makeAgent(dir.path(), "tcp://127.0.0.1:" + std::to_string(freePort()));
    configPath = agent.agentDir + "/agent.toml";
  }
  std::unique_ptr<Process> run() {
    return std::make_unique<Process>(
        std::vector<std::string>{test::agentBinary(), "run", "--config", configPath},
        dir.path() + "/run.log");
  }

  test::TempDir dir;
  test::AgentFixture agent;
  std::string configPath;
};

TEST_F(AgentRunTest, AnIdleDaemonMapsNoWebServerAndNoOpenSsl) {
  auto p = run();
  ASSERT_TRUE(test::waitUntil([&] { return mapsOf(p->pid()).find("libzmq") != std::string::npos; }))
      << p->output();
  ASSERT_TRUE(test::waitUntil([&] {
    return p->output().find("samband-agent running") != std::string::npos;
  })) << p->output();
  const std::string maps = mapsOf(p->pid());
  for (const char* lib : {"libcpp-httplib", "libssl", "libcrypto", "libbrotli"}) {
    EXPECT_EQ(maps.find(lib), std::string::npos) << lib << " is mapped:\n" << maps;
  }
  EXPECT_TRUE(childrenOf(p->pid()).empty());
  EXPECT_EQ(p->terminate(), 0) << p->output();
}

TEST_F(AgentRunTest, ServesThePageFromItsHelperRestartsItAndStopsItWithItself) {
  const int port = freePort();
  std::ofstream(configPath, std::ios::app) << "listen = \"127.0.0.1:" << port << "\"\n";
  auto p = run();
  httplib::Client client("127.0.0.1", port);
  auto serves = [&] {
    auto r = client.Get("/healthz");
    return r && r->status == 200;
  };
  ASSERT_TRUE(test::waitUntil(serves)) << p->output();
  auto children = childrenOf(p->pid());
  ASSERT_EQ(children.size(), 1u) << p->output();
  const pid_t helper = children[0];
  EXPECT_NE(mapsOf(helper).find("libcpp-httplib"), std::string::npos);
  EXPECT_EQ(mapsOf(p->pid()).find("libcpp-httplib"), std::string::npos);

  // A helper that dies is started again (after FormProcess::kRestartPauseMs).
  ASSERT_EQ(::kill(helper, SIGKILL), 0);
  ASSERT_TRUE(test::waitUntil([&] {
    auto now = childrenOf(p->pid());
    return now.size() == 1 && now[0] != helper && serves();
  })) << p->output();
  EXPECT_NE(p->output().find("the reporting page's process (samband-agent-form) stopped with "
                             "signal"),
            std::string::npos)
      << p->output();

  const pid_t second = childrenOf(p->pid()).at(0);
  EXPECT_EQ(p->terminate(), 0) << p->output();
  EXPECT_TRUE(::kill(second, 0) != 0 && errno == ESRCH) << "the helper outlived run";
}

}  // namespace
}  // namespace samband::agent
