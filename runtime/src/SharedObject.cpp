#include "tessera/SharedObject.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <mutex>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace tessera::runtime {
namespace {

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = EM_X86_64;
constexpr const char *kHostMachineName = "x86-64";
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = EM_AARCH64;
constexpr const char *kHostMachineName = "aarch64";
#else
#error "unsupported host architecture"
#endif

Error checkElfHeader(const uint8_t *data, size_t size) {
  Elf64_Ehdr header;
  if (size < sizeof(header))
    return makeError("not an ELF shared object (", size, " bytes)");
  std::memcpy(&header, data, sizeof(header));
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
    return makeError("not an ELF shared object (bad magic)");
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB)
    return makeError("not a 64-bit little-endian ELF object");
  if (header.e_type != ET_DYN)
    return makeError("ELF object is not a shared object (e_type ", header.e_type, ")");
  if (header.e_machine != kHostMachine)
    return makeError("ELF object is for machine ", header.e_machine, ", this host is ",
                     kHostMachineName);
  // The dynamic loader trusts the program headers and maps segments past the end of a short
  // file, which then faults on first touch. A truncated object must fail here instead.
  if (header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phnum == 0 || header.e_phoff > size ||
      (size - header.e_phoff) / sizeof(Elf64_Phdr) < header.e_phnum)
    return makeError("ELF object is truncated or corrupt (program headers out of range)");
  for (unsigned i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr phdr;
    std::memcpy(&phdr, data + header.e_phoff + i * sizeof(Elf64_Phdr), sizeof(phdr));
    if (phdr.p_type != PT_LOAD && phdr.p_type != PT_DYNAMIC)
      continue;
    if (phdr.p_offset > size || phdr.p_filesz > size - phdr.p_offset ||
        (phdr.p_type == PT_LOAD && phdr.p_filesz > phdr.p_memsz))
      return makeError("ELF object is truncated or corrupt (segment ", i, " needs bytes [",
                       phdr.p_offset, ", ", phdr.p_offset + phdr.p_filesz, ") of ", size, ")");
  }
  return Error::success();
}

Error writeAll(int fd, const uint8_t *data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return makeError("cannot write executable: ", std::strerror(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return Error::success();
}

// dlopen and dlclose are thread-safe in glibc, but under its internal lock, which TSan cannot
// see: concurrent session creation and destruction then report races inside ld.so. One lock of
// our own around both costs nothing next to loading an object and keeps TSan runs clean.
std::mutex &loaderMutex() {
  static std::mutex mutex;
  return mutex;
}

} // namespace

SharedObject::~SharedObject() {
  if (handle_) {
    std::lock_guard<std::mutex> lock(loaderMutex());
    dlclose(handle_);
  }
}

Expected<std::unique_ptr<SharedObject>> SharedObject::load(const uint8_t *data, size_t size) {
  if (Error err = checkElfHeader(data, size))
    return err;

  // dlopen needs a path; /proc/self/fd/N names the memfd without touching the file system.
  // glibc hands back an already loaded object whose name equals the path, and both fd numbers
  // and unlinked temporary names are reused once closed: a second executable would then
  // silently be the first one's code. So each path is first checked with RTLD_NOLOAD and,
  // while some loaded object has that name, the file gets another one (a dup of the memfd, or
  // a new temporary file), the earlier ones staying open until the load is done.
  std::vector<int> fds;
  std::vector<std::string> tempPaths;
  auto closeAll = [&] {
    for (int fd : fds)
      ::close(fd);
    for (const std::string &tempPath : tempPaths)
      ::unlink(tempPath.c_str());
  };
  int memfd = memfd_create("tessera-executable", MFD_CLOEXEC);
  auto nextPath = [&](std::string &path) -> Error {
    if (memfd >= 0) {
      int fd = fds.empty() ? memfd : ::fcntl(memfd, F_DUPFD_CLOEXEC, 0);
      if (fd < 0)
        return makeError("cannot name an executable: ", std::strerror(errno));
      fds.push_back(fd);
      path = "/proc/self/fd/" + std::to_string(fd);
      return Error::success();
    }
    const char *dir = std::getenv("TMPDIR");
    std::string tempPath = std::string(dir && *dir ? dir : "/tmp") + "/tessera-executable-XXXXXX";
    int fd = mkstemp(tempPath.data());
    if (fd < 0)
      return makeError("cannot create a temporary file for an executable: ", std::strerror(errno));
    fds.push_back(fd);
    tempPaths.push_back(tempPath);
    path = tempPath;
    return writeAll(fd, data, size);
  };

  std::string path;
  Error err = nextPath(path);
  if (!err && memfd >= 0)
    err = writeAll(memfd, data, size);
  void *handle = nullptr;
  if (!err) {
    std::lock_guard<std::mutex> lock(loaderMutex());
    for (int attempt = 0; !err && attempt < 64; ++attempt) {
      if (void *existing = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD)) {
        dlclose(existing);
        err = nextPath(path);
        continue;
      }
      handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        const char *message = dlerror();
        err = makeError("dlopen failed: ", message ? message : "unknown error");
      }
      break;
    }
    if (!err && !handle)
      err = makeError("cannot find an unused name for an executable");
  }
  // Once loaded the object no longer needs its file.
  closeAll();
  if (err)
    return err;

  std::unique_ptr<SharedObject> object(new SharedObject());
  object->handle_ = handle;
  return object;
}

Expected<tsr_kernel_fn> SharedObject::lookupKernel(const std::string &name) const {
  dlerror(); // Clear any stale error.
  void *symbol = dlsym(handle_, name.c_str());
  if (!symbol)
    return makeError("entry point '", name, "' not found in the executable");
  // dlsym also searches the object's dependencies (libc, libm...); a kernel name that only
  // matches a library function must not silently call that function.
  struct link_map *own = nullptr;
  struct link_map *found = nullptr;
  Dl_info info;
  if (dlinfo(handle_, RTLD_DI_LINKMAP, &own) != 0 ||
      !dladdr1(symbol, &info, reinterpret_cast<void **>(&found), RTLD_DL_LINKMAP) || found != own)
    return makeError("entry point '", name, "' is not defined by the executable itself");
  return reinterpret_cast<tsr_kernel_fn>(symbol);
}

} // namespace tessera::runtime
