#include "tessera/passes/PassReport.h"

#include <mutex>
#include <utility>
#include <vector>

namespace tessera {

namespace {
std::mutex &reportMutex() {
  static std::mutex m;
  return m;
}
std::vector<std::pair<std::string, int64_t>> &counters() {
  static std::vector<std::pair<std::string, int64_t>> c;
  return c;
}
} // namespace

void reportStatistic(llvm::StringRef pass, llvm::StringRef what, int64_t value) {
  std::string key = pass.str() + ": " + what.str();
  std::lock_guard<std::mutex> lock(reportMutex());
  for (auto &[k, v] : counters())
    if (k == key) {
      v += value;
      return;
    }
  counters().emplace_back(key, value);
}

std::string takeStatisticsReport() {
  std::lock_guard<std::mutex> lock(reportMutex());
  std::string out;
  for (auto &[key, value] : counters()) {
    size_t colon = key.find(": ");
    out += key.substr(0, colon) + ": " + std::to_string(value) + " " + key.substr(colon + 2) + "\n";
  }
  counters().clear();
  return out;
}

} // namespace tessera
