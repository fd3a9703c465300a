#include "vknn/engine/file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace vknn {

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
  return fsync_directory(path.parent_path());
}

Status fsync_directory(const std::filesystem::path& dir_in) {
  const std::filesystem::path dir = dir_in.empty() ? std::filesystem::path(".") : dir_in;
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return make_error(Errc::io, "{}: cannot open the directory to sync it: {}", dir.string(), std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return make_error(Errc::io, "{}: fsync of the directory failed: {}", dir.string(), std::strerror(err));
  return {};
}

}  // namespace vknn
