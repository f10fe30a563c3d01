/*
 * bench_client.c: a load generator equivalent to `tcptk bench` (src/TcpToolkit.Cli/Bench), in C, for the compare
 * harness's `--generator c` (issue 17): the .NET generator saturates its core against every fast server, so it cannot
 * tell fast servers apart; this one costs a fraction of it per message.
 *
 *   gcc -O2 -march=native -Wall -Wextra -o bench_client bench_client.c
 *   ./bench_client --host 127.0.0.1 --port N --framing raw|length32 --connections 64 --depth 16 --size 32
 *                  --duration 10 --warmup 2 [--json]
 *
 * Same semantics as tcptk bench (LoadConnection.cs, MessageSet.cs, LatencyHistogram.cs, BenchResult.cs):
 * - C connections, each with D messages in flight: D messages are sent at start and every completely echoed message
 *   queues the next one (pipelined). A message is one frame on the wire (length32: 4-byte big-endian length, then S
 *   payload bytes), or with raw framing S bytes: every S echoed bytes count as one message.
 * - The messages are tcptk's: S printable pseudo-random bytes from the same xorshift32 sequence, up to 256 variants
 *   (at most 8 MiB precomputed), so sending is a writev from the precomputed wire bytes (no copy) and checking is a
 *   memcmp. Every echoed byte is compared with what was sent; connection k starts at variant k, so each connection
 *   expects its own sequence and a byte routed to the wrong connection is caught too. A mismatch, a reset or a
 *   server that closes before the end is an error of that connection (it is closed, the others go on); errors make
 *   the exit code 2.
 * - Round trip per message: from the moment it was queued (one timestamp per received batch, as tcptk takes one per
 *   read) to the read that completed its echo, in nanoseconds, into the same log-linear histogram (exact below 256,
 *   128 sub-buckets per power of two above, under 0.8% error); percentiles pick the highest value of the bucket
 *   holding the rank, capped at the maximum.
 * - Warm-up, then the measured window: only messages completed in the window count (msg/s = those / its length).
 * - --json prints one line with the same fields as tcptk bench --json (what the harness parses).
 * One thread, one epoll set (level-triggered), non-blocking sockets with TCP_NODELAY. Exit code 0, 1 when the server
 * cannot be reached (or bad usage), 2 when a connection failed or an echo was wrong.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define READ_BUFFER_SIZE (256 * 1024)
#define MAX_EVENTS 1024
#define MAX_IOV 64
#define MAX_WRITE (256 * 1024)
#define MESSAGE_SET_BYTES (8 * 1024 * 1024)
#define MAX_VARIANTS 256
#define CONNECT_TIMEOUT_NS (10 * 1000000000LL)
#define MAX_ERRORS_SHOWN 10

enum { WARM_UP, MEASURE, DONE };

/* ---- the latency histogram: LatencyHistogram.cs in C ---- */
#define SUB_BUCKET_BITS 7
#define SUB_BUCKET_COUNT (1 << SUB_BUCKET_BITS)
#define LINEAR_LIMIT (2 * SUB_BUCKET_COUNT)
#define MAX_BITS 40
#define MAX_TRACKABLE ((1LL << MAX_BITS) - 1)
#define BUCKETS (LINEAR_LIMIT + ((MAX_BITS - SUB_BUCKET_BITS - 1) * SUB_BUCKET_COUNT))

static uint64_t histogram[BUCKETS];
static uint64_t histogram_count;
static int64_t histogram_max;

static int bucket_of(int64_t value)
{
    if (value < LINEAR_LIMIT) {
        return (int)value;
    }

    int shift = 63 - __builtin_clzll((unsigned long long)value) - SUB_BUCKET_BITS;
    int mantissa = (int)(value >> shift);
    return LINEAR_LIMIT + ((shift - 1) * SUB_BUCKET_COUNT) + (mantissa - SUB_BUCKET_COUNT);
}

static int64_t highest_value_at(int index)
{
    if (index < LINEAR_LIMIT) {
        return index;
    }

    int offset = index - LINEAR_LIMIT;
    int shift = (offset / SUB_BUCKET_COUNT) + 1;
    int64_t mantissa = (offset % SUB_BUCKET_COUNT) + SUB_BUCKET_COUNT;
    return ((mantissa + 1) << shift) - 1;
}

static void record(int64_t value)
{
    value = value < 0 ? 0 : value > MAX_TRACKABLE ? MAX_TRACKABLE : value;
    histogram[bucket_of(value)]++;
    histogram_count++;
    if (value > histogram_max) {
        histogram_max = value;
    }
}

static int64_t value_at_percentile(double percentile)
{
    if (histogram_count == 0) {
        return 0;
    }

    double exact = percentile / 100 * (double)histogram_count;
    uint64_t rank = (uint64_t)exact;
    if ((double)rank < exact) {
        rank++;
    }

    if (rank < 1) {
        rank = 1;
    }

    uint64_t seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
        seen += histogram[i];
        if (seen >= rank) {
            int64_t high = highest_value_at(i);
            return high < histogram_max ? high : histogram_max;
        }
    }

    return histogram_max;
}

/* ---- the messages: MessageSet.cs in C ---- */
static unsigned char *wire;   /* variants * wire_length bytes, as they go on the wire */
static uint32_t wire_length;  /* one message on the wire */
static uint32_t variants;     /* distinct messages */

static bool build_messages(bool length32, uint32_t size)
{
    wire_length = size + (length32 ? 4 : 0);
    uint32_t count = MESSAGE_SET_BYTES / wire_length;
    variants = count < 1 ? 1 : count > MAX_VARIANTS ? MAX_VARIANTS : count;
    unsigned char *payloads = malloc((size_t)size + variants);
    wire = malloc((size_t)variants * wire_length);
    if (payloads == NULL || wire == NULL) {
        return false;
    }

    /* xorshift32, tcptk's seed: the same bytes as tcptk bench sends. */
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < (size_t)size + variants; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        payloads[i] = (unsigned char)('!' + (x % 94));
    }

    for (uint32_t k = 0; k < variants; k++) {
        unsigned char *m = wire + (size_t)k * wire_length;
        if (length32) {
            m[0] = (unsigned char)(size >> 24);
            m[1] = (unsigned char)(size >> 16);
            m[2] = (unsigned char)(size >> 8);
            m[3] = (unsigned char)size;
            m += 4;
        }

        memcpy(m, payloads + k, size);
    }

    free(payloads);
    return true;
}

/* ---- connections ---- */
struct load {
    int fd;
    bool open;
    bool connected;
    bool want_out;      /* EPOLLOUT is in the interest set */
    uint32_t first;     /* this connection's first variant */
    uint64_t queued;    /* messages queued (sent or waiting to be): received + depth while running */
    uint64_t sent;      /* messages completely written */
    uint32_t send_off;  /* bytes of message `sent` written */
    uint64_t received;  /* messages completely echoed */
    uint32_t recv_off;  /* bytes of message `received` echoed */
    int64_t *queued_at; /* ring of depth timestamps, by message index */
    char error[160];
};

static struct load *loads;
static int connections_count = 64;
static int depth = 16;
static int epoll_fd;
static int phase = WARM_UP;
static uint64_t measured;
static uint64_t total;
static int errors;
static int open_count;
static unsigned char read_buffer[READ_BUFFER_SIZE];

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static const unsigned char *message(const struct load *l, uint64_t index)
{
    return wire + ((l->first + index) % variants) * (size_t)wire_length;
}

static void fail(struct load *l, const char *what)
{
    if (!l->open) {
        return;
    }

    snprintf(l->error, sizeof l->error, "%s", what);
    errors++;
    l->open = false;
    open_count--;
    close(l->fd);
}

static void watch(struct load *l, bool out)
{
    if (l->want_out == out) {
        return;
    }

    struct epoll_event ev = {.events = EPOLLIN | (out ? EPOLLOUT : 0), .data.ptr = l};
    if (epoll_ctl(epoll_fd, EPOLL_CTL_MOD, l->fd, &ev) < 0) {
        fail(l, "epoll_ctl failed");
        return;
    }

    l->want_out = out;
}

/* Writes the queued messages straight from the precomputed wire bytes, one writev for up to 256 KiB. */
static void flush(struct load *l)
{
    while (l->sent < l->queued) {
        struct iovec iov[MAX_IOV];
        int n = 0;
        size_t bytes = 0;
        uint64_t index = l->sent;
        uint32_t offset = l->send_off;
        while (index < l->queued && n < MAX_IOV && bytes < MAX_WRITE) {
            /* A run of consecutive variants is contiguous in the message set. */
            uint64_t variant = (l->first + index) % variants;
            uint64_t run = l->queued - index;
            if (run > variants - variant) {
                run = variants - variant;
            }

            iov[n].iov_base = wire + variant * wire_length + offset;
            iov[n].iov_len = (size_t)(run * wire_length - offset);
            bytes += iov[n].iov_len;
            n++;
            index += run;
            offset = 0;
        }

        ssize_t w = writev(l->fd, iov, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }

            if (errno == EAGAIN) {
                watch(l, true);
                return;
            }

            char text[120];
            snprintf(text, sizeof text, "write failed: %s", strerror(errno));
            fail(l, text);
            return;
        }

        uint64_t advanced = l->send_off + (uint64_t)w;
        l->sent += advanced / wire_length;
        l->send_off = (uint32_t)(advanced % wire_length);
        if ((size_t)w < bytes) {
            /* The socket's buffer is full: wait for EPOLLOUT rather than spend a write on EAGAIN. */
            watch(l, true);
            return;
        }
    }

    watch(l, false);
}

/* One read: every byte checked against what this connection sent, one message queued per message echoed. */
static void on_readable(struct load *l)
{
    ssize_t n = read(l->fd, read_buffer, sizeof read_buffer);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return;
        }

        char text[120];
        snprintf(text, sizeof text, n == 0 ? "the server closed the connection" : "read failed: %s", strerror(errno));
        fail(l, text);
        return;
    }

    int64_t now = now_ns();
    const unsigned char *p = read_buffer;
    size_t left = (size_t)n;
    while (left > 0) {
        const unsigned char *expected = message(l, l->received) + l->recv_off;
        size_t take = wire_length - l->recv_off;
        if (take > left) {
            take = left;
        }

        if (memcmp(p, expected, take) != 0) {
            size_t at = 0;
            while (p[at] == expected[at]) {
                at++;
            }

            char text[120];
            snprintf(text, sizeof text, "echo mismatch in message %llu at byte %zu", (unsigned long long)l->received, l->recv_off + at);
            fail(l, text);
            return;
        }

        p += take;
        left -= take;
        l->recv_off += (uint32_t)take;
        if (l->recv_off < wire_length) {
            continue;
        }

        l->recv_off = 0;
        if (phase == MEASURE) {
            record(now - l->queued_at[l->received % (uint64_t)depth]);
            measured++;
        }

        total++;
        l->received++;
        if (phase != DONE) {
            l->queued_at[l->queued % (uint64_t)depth] = now;
            l->queued++;
        }
    }

    if (l->sent < l->queued) {
        flush(l);
    }
}

static bool connect_all(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *address;
    int rc = getaddrinfo(host, port, &hints, &address);
    if (rc != 0) {
        fprintf(stderr, "bench_client: %s:%s: %s\n", host, port, gai_strerror(rc));
        return false;
    }

    bool ok = true;
    int pending = 0;
    for (int i = 0; i < connections_count && ok; i++) {
        struct load *l = &loads[i];
        l->fd = socket(address->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (l->fd < 0) {
            fprintf(stderr, "bench_client: socket: %s\n", strerror(errno));
            ok = false;
            break;
        }

        int one = 1;
        setsockopt(l->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        l->open = true;
        open_count++;
        if (connect(l->fd, address->ai_addr, address->ai_addrlen) < 0 && errno != EINPROGRESS) {
            fprintf(stderr, "bench_client: connect to %s:%s: %s\n", host, port, strerror(errno));
            ok = false;
            break;
        }

        struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = l};
        epoll_ctl(epoll_fd, EPOLL_CTL_ADD, l->fd, &ev);
        l->want_out = true;
        pending++;
    }

    freeaddrinfo(address);
    int64_t deadline = now_ns() + CONNECT_TIMEOUT_NS;
    struct epoll_event events[MAX_EVENTS];
    while (ok && pending > 0) {
        int64_t left = deadline - now_ns();
        int ready = left > 0 ? epoll_wait(epoll_fd, events, MAX_EVENTS, (int)(left / 1000000) + 1) : 0;
        if (ready <= 0 && !(ready < 0 && errno == EINTR)) {
            fprintf(stderr, "bench_client: %d of %d connections to %s:%s not established after 10 s\n", pending, connections_count, host, port);
            ok = false;
            break;
        }

        for (int i = 0; i < ready; i++) {
            struct load *l = events[i].data.ptr;
            int error = 0;
            socklen_t length = sizeof error;
            getsockopt(l->fd, SOL_SOCKET, SO_ERROR, &error, &length);
            if (error != 0) {
                fprintf(stderr, "bench_client: connect to %s:%s: %s\n", host, port, strerror(error));
                ok = false;
                break;
            }

            if (!l->connected) {
                l->connected = true;
                pending--;
                watch(l, false);
            }
        }
    }

    return ok;
}

static void usage(FILE *to)
{
    fprintf(to, "Usage: bench_client [--host 127.0.0.1] [--port 65432] [--framing raw|length32] [--connections 64] [--depth 16]\n"
                "                    [--size 32] [--duration 10] [--warmup 2] [--json]\n");
}

static void json_string(const char *text)
{
    putchar('"');
    for (const char *c = text; *c; c++) {
        if (*c == '"' || *c == '\\') {
            putchar('\\');
        }

        if ((unsigned char)*c >= 0x20) {
            putchar(*c);
        }
    }

    putchar('"');
}

int main(int argc, char **argv)
{
    const char *host = "127.0.0.1";
    const char *port = "65432";
    const char *framing = "raw";
    long size = 32;
    double duration = 10;
    double warm_up = 2;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
            continue;
        } else if (value == NULL) {
            fprintf(stderr, "bench_client: %s needs a value\n", argv[i]);
            usage(stderr);
            return 1;
        } else if (strcmp(argv[i], "--host") == 0) {
            host = value;
        } else if (strcmp(argv[i], "--port") == 0) {
            port = value;
        } else if (strcmp(argv[i], "--framing") == 0) {
            framing = value;
        } else if (strcmp(argv[i], "--connections") == 0) {
            connections_count = atoi(value);
        } else if (strcmp(argv[i], "--depth") == 0) {
            depth = atoi(value);
        } else if (strcmp(argv[i], "--size") == 0) {
            size = atol(value);
        } else if (strcmp(argv[i], "--duration") == 0) {
            duration = atof(value);
        } else if (strcmp(argv[i], "--warmup") == 0) {
            warm_up = atof(value);
        } else {
            fprintf(stderr, "bench_client: unknown option %s\n", argv[i]);
            usage(stderr);
            return 1;
        }

        i++;
    }

    bool length32 = strcmp(framing, "length32") == 0;
    if ((!length32 && strcmp(framing, "raw") != 0) || connections_count < 1 || connections_count > 100000 || depth < 1 ||
        depth > 1000000 || size < 1 || size > 1000000 || duration < 0.1 || warm_up < 0) {
        fprintf(stderr, "bench_client: --framing raw|length32, --connections 1-100000, --depth 1-1000000, --size 1-1000000, "
                        "--duration >= 0.1, --warmup >= 0\n");
        return 1;
    }

    signal(SIGPIPE, SIG_IGN);
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }

    loads = calloc((size_t)connections_count, sizeof *loads);
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (loads == NULL || epoll_fd < 0 || !build_messages(length32, (uint32_t)size)) {
        fprintf(stderr, "bench_client: out of memory\n");
        return 1;
    }

    for (int i = 0; i < connections_count; i++) {
        loads[i].first = (uint32_t)i % variants;
        loads[i].queued_at = calloc((size_t)depth, sizeof(int64_t));
        if (loads[i].queued_at == NULL) {
            fprintf(stderr, "bench_client: out of memory\n");
            return 1;
        }
    }

    if (!connect_all(host, port)) {
        return 1;
    }

    int64_t started = now_ns();
    for (int i = 0; i < connections_count; i++) {
        struct load *l = &loads[i];
        for (int k = 0; k < depth; k++) {
            l->queued_at[k] = started;
        }

        l->queued = (uint64_t)depth;
        flush(l);
    }

    int64_t measure_start = started;
    int64_t phase_end = started + (int64_t)(warm_up * 1e9);
    int64_t elapsed = 0;
    if (warm_up <= 0) {
        phase = MEASURE;
        phase_end = started + (int64_t)(duration * 1e9);
    }

    struct epoll_event events[MAX_EVENTS];
    while (phase != DONE) {
        int64_t now = now_ns();
        if (now >= phase_end) {
            if (phase == WARM_UP) {
                phase = MEASURE;
                measure_start = now;
                phase_end = now + (int64_t)(duration * 1e9);
            } else {
                phase = DONE;
                elapsed = now - measure_start;
                break;
            }
        }

        if (open_count == 0) {
            /* Every connection failed: the run is over (the errors say why). */
            elapsed = now - measure_start;
            break;
        }

        int timeout = (int)((phase_end - now) / 1000000) + 1;
        int ready = epoll_wait(epoll_fd, events, MAX_EVENTS, timeout > 1000 ? 1000 : timeout);
        if (ready < 0 && errno != EINTR) {
            perror("bench_client: epoll_wait");
            return 1;
        }

        for (int i = 0; i < ready; i++) {
            struct load *l = events[i].data.ptr;
            if (!l->open) {
                continue;
            }

            if (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                on_readable(l);
            }

            if (l->open && (events[i].events & EPOLLOUT)) {
                flush(l);
            }
        }
    }

    double seconds = (double)(elapsed > 1 ? elapsed : 1) / 1e9;
    double msg_per_sec = (double)measured / seconds;
    double mb_per_sec = (double)measured * (double)size / seconds / 1e6;
    double p50 = (double)value_at_percentile(50) / 1000;
    double p90 = (double)value_at_percentile(90) / 1000;
    double p99 = (double)value_at_percentile(99) / 1000;
    double p999 = (double)value_at_percentile(99.9) / 1000;
    double max = (double)histogram_max / 1000;
    FILE *details = json ? stderr : stdout;
    if (json) {
        printf("{\"host\":");
        json_string(host);
        printf(",\"port\":%d,\"framing\":\"%s\",\"tls\":null,\"connections\":%d,\"depth\":%d,\"size\":%ld,\"seconds\":%.3f,"
               "\"messages\":%llu,\"msgPerSec\":%.1f,\"mbPerSec\":%.3f,\"latencyUs\":{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,"
               "\"p999\":%.1f,\"max\":%.1f},\"errors\":%d}\n",
               atoi(port), length32 ? "length32" : "raw", connections_count, depth, size, seconds, (unsigned long long)measured,
               msg_per_sec, mb_per_sec, p50, p90, p99, p999, max, errors);
    } else {
        printf("bench_client %s:%s %s: %d connections x %d in flight, %ld B payloads, %.1f s measured after %.1f s warm-up\n",
               host, port, length32 ? "length32" : "raw", connections_count, depth, size, seconds, warm_up);
        printf("  messages   %llu (%.0f msg/s)\n", (unsigned long long)measured, msg_per_sec);
        printf("  payload    %.1f MB/s (echoed, one direction)\n", mb_per_sec);
        printf("  latency    p50 %.1f us  p90 %.1f us  p99 %.1f us  p99.9 %.1f us  max %.1f us\n", p50, p90, p99, p999, max);
        printf("  errors     %d\n", errors);
    }

    int shown = 0;
    for (int i = 0; i < connections_count && shown < MAX_ERRORS_SHOWN; i++) {
        if (loads[i].error[0] != '\0') {
            fprintf(details, "    connection %d: %s\n", i, loads[i].error);
            shown++;
        }
    }

    fflush(stdout);
    return errors == 0 ? 0 : 2;
}
