#include "core/file_io.hpp"

#include "core/artifact.hpp"
#include "core/error.hpp"
#include "support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <thread>

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

namespace edgent {
namespace {

namespace fs = std::filesystem;

class FileIoTest : public ::testing::Test {
protected:
  std::string path(const std::string& name) const { return (m_dir / name).string(); }
  std::size_t file_count() const {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(m_dir), fs::directory_iterator()));
  }
  edgent::testing::TempDir m_tmp{"file-io"};
  fs::path m_dir = m_tmp.path();
};

TEST_F(FileIoTest, AtomicWriteReplacesContent) {
  write_file_atomic(path("a.json"), "old\n");
  write_file_atomic(path("a.json"), "new\n");
  EXPECT_EQ(read_file(path("a.json")), "new\n");
  EXPECT_EQ(file_count(), 1u) << "no temporary file may be left behind";
}

TEST_F(FileIoTest, WriterKilledMidWriteLeavesOldFileIntact) {
  const std::string target = path("profile.json");
  write_artifact(target, nlohmann::json{{"role", "device"}}, "profile", "edgent-profile");
  const std::string before = read_file(target);

  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // The child starts rewriting the artifact and is killed before it can commit.
    AtomicFile file(target);
    file.write("{\"schema\": \"edgent.profile/1\", \"role\": ");
    ::kill(::getpid(), SIGKILL);
    ::_exit(0);  // not reached
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(WTERMSIG(status), SIGKILL);

  EXPECT_EQ(read_file(target), before);
  EXPECT_NO_THROW(read_artifact(target, "profile"));
}

TEST_F(FileIoTest, UncommittedWriteIsDiscarded) {
  write_file_atomic(path("x"), "kept");
  {
    AtomicFile file(path("x"));
    file.write("discarded");
    EXPECT_TRUE(fs::exists(file.temp_path()));
  }
  EXPECT_EQ(read_file(path("x")), "kept");
  EXPECT_EQ(file_count(), 1u);
}

TEST_F(FileIoTest, CommittedFileGetsUmaskPermissions) {
  const mode_t old = ::umask(022);
  write_file_atomic(path("perm"), "x");
  ::umask(old);
  struct stat st {};
  ASSERT_EQ(::stat(path("perm").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
}

TEST_F(FileIoTest, UnwritableDirectoryIsAnIoErrorNamingTheFile) {
  if (::geteuid() == 0) {
    // Root ignores directory permissions; use a path under a regular file instead.
    write_file_atomic(path("plain"), "x");
    EXPECT_THROW(write_file_atomic(path("plain") + "/out.json", "y"), IoError);
    return;
  }
  fs::create_directories(m_dir / "ro");
  fs::permissions(m_dir / "ro", fs::perms::owner_read | fs::perms::owner_exec);
  try {
    write_file_atomic(path("ro/out.json"), "y");
    FAIL();
  } catch (const IoError& e) {
    EXPECT_EQ(e.file(), path("ro/out.json"));
  }
}

TEST_F(FileIoTest, ReadErrorsNameTheFile) {
  try {
    read_file(path("missing.json"));
    FAIL();
  } catch (const IoError& e) {
    EXPECT_EQ(e.file(), path("missing.json"));
    EXPECT_NE(e.message().find("cannot open"), std::string::npos);
    EXPECT_EQ(e.exit_code(), ExitCode::failure);
  }
  EXPECT_THROW(read_file(m_dir.string()), IoError);
}

TEST_F(FileIoTest, AProcFileThatFailsToReadIsAnIoErrorNamingIt) {
  // /proc/self/mem opens but every read at offset 0 fails with EIO.
  try {
    read_file("/proc/self/mem");
    FAIL() << "reading /proc/self/mem succeeded";
  } catch (const IoError& e) {
    EXPECT_EQ(e.file(), "/proc/self/mem");
    EXPECT_NE(e.detail().find("read failed"), std::string::npos) << e.message();
  }
}

/// The file type of @p p without following a symbolic link: 'f' regular, 'l' link, 'p' FIFO,
/// 'c' character device, '?' otherwise.
char file_type(const std::string& p) {
  struct stat st {};
  if (::lstat(p.c_str(), &st) != 0) {
    return '-';
  }
  return S_ISREG(st.st_mode) ? 'f' : S_ISLNK(st.st_mode) ? 'l' : S_ISFIFO(st.st_mode) ? 'p'
         : S_ISCHR(st.st_mode) ? 'c' : '?';
}

TEST_F(FileIoTest, AFifoIsWrittenThroughNotReplaced) {
  const std::string fifo = path("out.fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = read_file(fifo); });
  write_file_atomic(fifo, "through the pipe\n");
  reader.join();
  EXPECT_EQ(got, "through the pipe\n");
  EXPECT_EQ(file_type(fifo), 'p');
  EXPECT_EQ(file_count(), 1u) << "no temporary file may be left behind";
}

TEST_F(FileIoTest, ACharacterDeviceIsWrittenThroughNotReplaced) {
  // A private null device (major 1, minor 3) needs root; otherwise /dev/null through a link.
  std::string device = path("null");
  if (::mknod(device.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) {
    device = "/dev/null";
  }
  const std::string link = path("null-link");
  ASSERT_EQ(::symlink(device.c_str(), link.c_str()), 0);
  write_file_atomic(device, "discarded\n");
  write_file_atomic(link, "discarded\n");
  EXPECT_EQ(file_type(device), 'c');
  EXPECT_EQ(file_type(link), 'l');
  EXPECT_EQ(read_file(device), "");
  for (const auto& entry : fs::directory_iterator(m_dir)) {
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos)
        << entry.path() << " left behind";
  }
}

TEST_F(FileIoTest, ASymlinkKeepsPointingAtItsReplacedTarget) {
  fs::create_directories(m_dir / "real");
  const std::string target = path("real/t.json");
  write_file_atomic(target, "old\n");
  ::chmod(target.c_str(), 0640);
  const std::string link = path("l.json");
  ASSERT_EQ(::symlink("real/t.json", link.c_str()), 0);  // relative, as `ln -s` makes it
  write_file_atomic(link, "new\n");
  EXPECT_EQ(file_type(link), 'l');
  EXPECT_EQ(fs::read_symlink(link), "real/t.json");
  EXPECT_EQ(file_type(target), 'f');
  EXPECT_EQ(read_file(target), "new\n");
  struct stat st {};
  ASSERT_EQ(::stat(target.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u) << "the replaced file's mode is kept";
  EXPECT_EQ(std::distance(fs::directory_iterator(m_dir / "real"), fs::directory_iterator()), 1);

  // A dangling link names the file to create; a chain of links is followed to its end.
  const std::string dangling = path("d.json");
  ASSERT_EQ(::symlink("real/created.json", dangling.c_str()), 0);
  const std::string chain = path("c.json");
  ASSERT_EQ(::symlink("d.json", chain.c_str()), 0);
  write_file_atomic(chain, "created\n");
  EXPECT_EQ(file_type(dangling), 'l');
  EXPECT_EQ(file_type(chain), 'l');
  EXPECT_EQ(read_file(path("real/created.json")), "created\n");

  // A loop of links is an error naming the path, and nothing is written.
  ASSERT_EQ(::symlink("loop-b", path("loop-a").c_str()), 0);
  ASSERT_EQ(::symlink("loop-a", path("loop-b").c_str()), 0);
  EXPECT_THROW(write_file_atomic(path("loop-a"), "x"), IoError);
}

TEST_F(FileIoTest, OutputPathsAreCheckedBeforeAnyWork) {
  EXPECT_NO_THROW(check_output_path("-"));
  EXPECT_NO_THROW(check_output_path(path("new.json")));
  EXPECT_NO_THROW(check_output_path("/dev/null"));
  try {
    check_output_path(path("nodir/s.json"));
    FAIL();
  } catch (const IoError& e) {
    EXPECT_EQ(e.file(), path("nodir/s.json"));
  }
  EXPECT_THROW(check_output_path(m_dir.string()), IoError);
  write_file_atomic(path("plain"), "x");
  EXPECT_THROW(check_output_path(path("plain/s.json")), IoError);
  EXPECT_EQ(file_count(), 1u) << "checking creates nothing";
}

TEST(FileIo, DashMeansStandardStreams) {
  EXPECT_EQ(display_name("-"), "<stdin>");
  EXPECT_EQ(display_name("-", /*output=*/true), "<stdout>");
  EXPECT_EQ(display_name("a.json"), "a.json");
  ::testing::internal::CaptureStdout();
  write_file_atomic("-", "to stdout");
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "to stdout");
}

TEST(FileIo, Sha256OfKnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

} // namespace
} // namespace edgent
