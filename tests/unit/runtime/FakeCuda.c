/* A fake CUDA driver for testing the runtime's CUDA path without a GPU: the driver API entry
 * points the runtime binds, over host memory. Device pointers are host pointers; copies are
 * memcpy; kernels do nothing except those named scale2_<N>, which compute
 * out[i] = 2 * in[i] for i < N over their first two parameters, so a test can follow data
 * through uploads, launches and downloads. Every call is counted (fake_cuda_counter), and
 * behaviour is steered by environment variables read at each call:
 *   FAKE_CUDA_FAIL=init|jit|launch|sync|capture|instantiate   make that step fail
 *   FAKE_CUDA_MEMORY=BYTES                device memory size (default 1 GiB)
 *   FAKE_CUDA_CC=90                       compute capability, major*10+minor
 *   FAKE_CUDA_TRACE=1                     print every launch to stderr
 * Stream capture records launches instead of running them (with their parameter values, as
 * the driver copies them); launching the graph runs the recorded kernels in order. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int CUresult;
typedef uint64_t CUdeviceptr;

enum { MAX_FUNCTIONS = 4096, MAX_ALLOCATIONS = 65536 };

static struct {
  long inits, launches, uploads, downloads, allocations, frees, modulesLoaded, modulesUnloaded,
      contextsRetained, contextsReleased, streamsCreated, streamsDestroyed, uploadBytes,
      downloadBytes, captures, graphLaunches, graphsCreated, graphsDestroyed;
  int capturing;
  uint64_t bytesInUse;
  const char *image;
} state;

static struct Function {
  char name[256];
} functions[MAX_FUNCTIONS];
static int numFunctions;

static struct Allocation {
  void *ptr;
  size_t bytes;
} allocations[MAX_ALLOCATIONS];

static int failing(const char *step) {
  const char *f = getenv("FAKE_CUDA_FAIL");
  return f && strcmp(f, step) == 0;
}

static uint64_t memoryBytes(void) {
  const char *m = getenv("FAKE_CUDA_MEMORY");
  return m ? strtoull(m, NULL, 10) : (1ull << 30);
}

/* For tests: the counter called `name`, or -1. */
long fake_cuda_counter(const char *name) {
#define COUNTER(n)                                                                                 \
  if (strcmp(name, #n) == 0)                                                                       \
    return (long)state.n;
  COUNTER(inits)
  COUNTER(captures)
  COUNTER(graphLaunches)
  COUNTER(graphsCreated)
  COUNTER(graphsDestroyed)
  COUNTER(launches)
  COUNTER(uploads)
  COUNTER(downloads)
  COUNTER(allocations)
  COUNTER(frees)
  COUNTER(modulesLoaded)
  COUNTER(modulesUnloaded)
  COUNTER(contextsRetained)
  COUNTER(contextsReleased)
  COUNTER(streamsCreated)
  COUNTER(streamsDestroyed)
  COUNTER(uploadBytes)
  COUNTER(downloadBytes)
  COUNTER(bytesInUse)
#undef COUNTER
  return -1;
}

void fake_cuda_reset(void) {
  memset(&state, 0, sizeof(state));
  numFunctions = 0;
}

CUresult cuInit(unsigned flags) {
  (void)flags;
  ++state.inits;
  return failing("init") ? 100 /* CUDA_ERROR_NO_DEVICE */ : 0;
}

CUresult cuDeviceGetCount(int *count) {
  *count = 1;
  return 0;
}

CUresult cuDeviceGet(int *device, int ordinal) {
  if (ordinal != 0)
    return 101; /* CUDA_ERROR_INVALID_DEVICE */
  *device = 0;
  return 0;
}

CUresult cuDeviceGetName(char *name, int length, int device) {
  (void)device;
  snprintf(name, (size_t)length, "Fake CUDA Device");
  return 0;
}

CUresult cuDeviceGetAttribute(int *value, int attribute, int device) {
  (void)device;
  const char *cc = getenv("FAKE_CUDA_CC");
  int capability = cc ? atoi(cc) : 90;
  switch (attribute) {
  case 1:
    *value = 1024;
    return 0; /* max threads per block */
  case 8:
    *value = 48 * 1024;
    return 0; /* shared memory per block */
  case 75:
    *value = capability / 10;
    return 0;
  case 76:
    *value = capability % 10;
    return 0;
  default:
    return 1; /* CUDA_ERROR_INVALID_VALUE */
  }
}

CUresult cuDevicePrimaryCtxRetain(void **context, int device) {
  (void)device;
  ++state.contextsRetained;
  *context = &state;
  return 0;
}

CUresult cuDevicePrimaryCtxRelease_v2(int device) {
  (void)device;
  ++state.contextsReleased;
  return 0;
}

CUresult cuCtxSetCurrent(void *context) {
  (void)context;
  return 0;
}

CUresult cuModuleLoadDataEx(void **module, const void *image, unsigned numOptions, int *options,
                            void **values) {
  if (failing("jit")) {
    for (unsigned i = 0; i < numOptions; ++i)
      if (options[i] == 5 /* CU_JIT_ERROR_LOG_BUFFER */) {
        size_t size = 0;
        for (unsigned j = 0; j < numOptions; ++j)
          if (options[j] == 6)
            size = (size_t)(uintptr_t)values[j];
        if (size)
          snprintf((char *)values[i], size, "ptxas fatal   : fake JIT failure");
      }
    return 218; /* CUDA_ERROR_INVALID_PTX */
  }
  ++state.modulesLoaded;
  state.image = (const char *)image;
  *module = &state;
  return 0;
}

CUresult cuModuleGetFunction(void **function, void *module, const char *name) {
  (void)module;
  char entry[300];
  snprintf(entry, sizeof(entry), ".entry %s(", name);
  if (!state.image || !strstr(state.image, entry) || numFunctions == MAX_FUNCTIONS)
    return 500; /* CUDA_ERROR_NOT_FOUND */
  snprintf(functions[numFunctions].name, sizeof(functions[numFunctions].name), "%s", name);
  *function = &functions[numFunctions++];
  return 0;
}

CUresult cuModuleUnload(void *module) {
  (void)module;
  ++state.modulesUnloaded;
  return 0;
}

CUresult cuFuncGetAttribute(int *value, int attribute, void *function) {
  (void)function;
  if (attribute != 0)
    return 1;
  *value = 1024;
  return 0;
}

CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
  if (state.bytesInUse + bytes > memoryBytes())
    return 2; /* CUDA_ERROR_OUT_OF_MEMORY */
  for (int i = 0; i < MAX_ALLOCATIONS; ++i)
    if (!allocations[i].ptr) {
      allocations[i].ptr = calloc(1, bytes ? bytes : 1);
      allocations[i].bytes = bytes;
      state.bytesInUse += bytes;
      ++state.allocations;
      *pointer = (CUdeviceptr)(uintptr_t)allocations[i].ptr;
      return 0;
    }
  return 2;
}

CUresult cuMemFree_v2(CUdeviceptr pointer) {
  for (int i = 0; i < MAX_ALLOCATIONS; ++i)
    if (allocations[i].ptr && (CUdeviceptr)(uintptr_t)allocations[i].ptr == pointer) {
      free(allocations[i].ptr);
      state.bytesInUse -= allocations[i].bytes;
      allocations[i].ptr = NULL;
      ++state.frees;
      return 0;
    }
  return 1;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
  memcpy((void *)(uintptr_t)dst, src, bytes);
  ++state.uploads;
  state.uploadBytes += (long)bytes;
  return 0;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes, void *stream) {
  (void)stream;
  return cuMemcpyHtoD_v2(dst, src, bytes);
}

CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes, void *stream) {
  (void)stream;
  memcpy(dst, (const void *)(uintptr_t)src, bytes);
  ++state.downloads;
  state.downloadBytes += (long)bytes;
  return 0;
}

CUresult cuStreamCreate(void **stream, unsigned flags) {
  (void)flags;
  ++state.streamsCreated;
  *stream = &state;
  return 0;
}

CUresult cuStreamDestroy_v2(void *stream) {
  (void)stream;
  ++state.streamsDestroyed;
  return 0;
}

CUresult cuStreamSynchronize(void *stream) {
  (void)stream;
  return failing("sync") ? 700 /* CUDA_ERROR_ILLEGAL_ADDRESS */ : 0;
}

/* Runs a launch's kernel: only scale2_<N> does something. */
static void execute(const char *name, CUdeviceptr in, CUdeviceptr out) {
  if (strncmp(name, "scale2_", 7) == 0) {
    long n = atol(name + 7);
    const float *x = (const float *)(uintptr_t)in;
    float *y = (float *)(uintptr_t)out;
    for (long i = 0; i < n; ++i)
      y[i] = 2.0f * x[i];
  }
}

enum { MAX_RECORDED = 65536 };
typedef struct {
  int count;
  struct Recorded {
    const char *name;
    CUdeviceptr in, out;
  } launches[MAX_RECORDED];
} Graph;
static Graph *recording;

CUresult cuLaunchKernel(void *function, unsigned gridX, unsigned gridY, unsigned gridZ,
                        unsigned blockX, unsigned blockY, unsigned blockZ, unsigned shared,
                        void *stream, void **params, void **extra) {
  (void)stream;
  (void)extra;
  const char *name = ((struct Function *)function)->name;
  if (state.capturing) {
    if (recording->count == MAX_RECORDED)
      return 999; /* CUDA_ERROR_UNKNOWN */
    struct Recorded *r = &recording->launches[recording->count++];
    r->name = name;
    /* Only scale2_ kernels read their parameters (two of them, by construction). */
    int reads = strncmp(name, "scale2_", 7) == 0;
    r->in = reads ? *(const CUdeviceptr *)params[0] : 0;
    r->out = reads ? *(const CUdeviceptr *)params[1] : 0;
    if (getenv("FAKE_CUDA_TRACE"))
      fprintf(stderr, "fake-cuda: capture %s\n", name);
    return 0;
  }
  if (getenv("FAKE_CUDA_TRACE"))
    fprintf(stderr, "fake-cuda: launch %s grid %u,%u,%u block %u,%u,%u shared %u\n", name, gridX,
            gridY, gridZ, blockX, blockY, blockZ, shared);
  if (failing("launch"))
    return 719; /* CUDA_ERROR_LAUNCH_FAILED */
  ++state.launches;
  if (strncmp(name, "scale2_", 7) == 0)
    execute(name, *(const CUdeviceptr *)params[0], *(const CUdeviceptr *)params[1]);
  return 0;
}

CUresult cuStreamBeginCapture_v2(void *stream, int mode) {
  (void)stream;
  if (failing("capture"))
    return 900; /* CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED */
  if (state.capturing || mode != 1 /* thread-local */)
    return 1; /* CUDA_ERROR_INVALID_VALUE */
  recording = calloc(1, sizeof(Graph));
  state.capturing = 1;
  ++state.captures;
  return 0;
}

CUresult cuStreamEndCapture(void *stream, void **graph) {
  (void)stream;
  if (!state.capturing)
    return 1;
  state.capturing = 0;
  *graph = recording;
  recording = NULL;
  ++state.graphsCreated;
  return 0;
}

CUresult cuGraphInstantiateWithFlags(void **exec, void *graph, unsigned long long flags) {
  if (failing("instantiate") || flags != 0)
    return 1;
  Graph *copy = malloc(sizeof(Graph));
  memcpy(copy, graph, sizeof(Graph));
  *exec = copy;
  ++state.graphsCreated;
  return 0;
}

CUresult cuGraphLaunch(void *exec, void *stream) {
  (void)stream;
  if (failing("launch"))
    return 719;
  Graph *g = exec;
  ++state.graphLaunches;
  for (int i = 0; i < g->count; ++i) {
    if (getenv("FAKE_CUDA_TRACE"))
      fprintf(stderr, "fake-cuda: graph runs %s\n", g->launches[i].name);
    execute(g->launches[i].name, g->launches[i].in, g->launches[i].out);
  }
  return 0;
}

CUresult cuGraphExecDestroy(void *exec) {
  free(exec);
  ++state.graphsDestroyed;
  return 0;
}

CUresult cuGraphDestroy(void *graph) {
  free(graph);
  ++state.graphsDestroyed;
  return 0;
}
