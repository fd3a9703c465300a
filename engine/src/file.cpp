#include "vknn/engine/file.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vknn {

Result<std::vector<uint8_t>> read_file_bytes(const std::filesystem::path& path) {
  // open() of a directory succeeds for reading; the error comes from read() (EISDIR), which
  // std::ifstream turns into an exception. fstat tells first.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::io, "{}: cannot open: {}", path.string(), std::strerror(errno));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return make_error(Errc::io, "{}: cannot stat: {}", path.string(), std::strerror(errno));
  if (S_ISDIR(st.st_mode)) return make_error(Errc::io, "{}: is a directory, not a file", path.string());
  if (!S_ISREG(st.st_mode)) return make_error(Errc::io, "{}: is not a regular file", path.string());
  std::vector<uint8_t> bytes(size_t(st.st_size));
  size_t done = 0;
  while (true) {
    if (done == bytes.size()) bytes.resize(done + std::max<size_t>(done / 2, 4096));  // the file may have grown
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(Errc::io, "{}: read error after {} bytes: {}", path.string(), done, std::strerror(errno));
    if (n == 0) break;
    done += size_t(n);
  }
  bytes.resize(done);
  return bytes;
}

Status write_file_atomic(const std::filesystem::path& path, std::span<const uint8_t> bytes) {
  const std::string tmp = path.string() + fmt::format(".tmp.{}", ::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(Errc::io, "{}: cannot create: {}", tmp, std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_error(Errc::io, "{}: write failed after {} of {} bytes: {}", tmp, done, bytes.size(), std::strerror(err));
    }
    done += size_t(n);
  }
  // The data must be on disk before the rename makes it visible under the real name.
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return make_error(Errc::io, "{}: fsync/close failed: {}", tmp, std::strerror(errno));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return make_error(Errc::io, "renaming {} to {}: {}", tmp, path.string(), std::strerror(err));
  }
  return {};
}

}  // namespace vknn
