/*
 * A C peer for srtfu's interop tests, speaking the protocol of libsrt's examples
 * sendfile.cpp / recvfile.cpp straight on the libsrt C API (written for srtfu).
 *
 *   file_peer client HOST PORT REMOTE LOCAL   fetch REMOTE into LOCAL (srt_recvfile)
 *   file_peer server PORT COUNT               serve COUNT requests for files named
 *                                             relative to the working directory
 *
 * Request: int name length (native byte order), then the name bytes, no NUL.
 * Answer: int64_t size, -1 when the file cannot be opened; then the bytes; then close.
 * Both sides use SRTT_FILE. The server sends with srt_send in 1 MiB pieces (libsrt's
 * example uses srt_sendfile, which stalls on loopback in libsrt 1.5.1).
 * Exit status 0 on success; 2 when the server answered -1; 1 on any other error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <srt/srt.h>

static int fail(const char *what)
{
    fprintf(stderr, "file_peer: %s: %s\n", what, srt_getlasterror_str());
    return 1;
}

static int send_all(SRTSOCKET s, const char *p, int n)
{
    while (n > 0) {
        int k = srt_send(s, p, n);
        if (k == SRT_ERROR || k == 0)
            return -1;
        p += k;
        n -= k;
    }
    return 0;
}

static int recv_all(SRTSOCKET s, char *p, int n)
{
    while (n > 0) {
        int k = srt_recv(s, p, n);
        if (k == SRT_ERROR || k == 0)
            return -1;
        p += k;
        n -= k;
    }
    return 0;
}

static SRTSOCKET file_socket(void)
{
    SRTSOCKET s = srt_create_socket();
    int tt = SRTT_FILE;
    if (s != SRT_INVALID_SOCK)
        srt_setsockflag(s, SRTO_TRANSTYPE, &tt, sizeof tt);
    return s;
}

static int client(const char *host, int port, const char *remote, const char *local)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "file_peer: bad IPv4 address %s\n", host);
        return 1;
    }
    SRTSOCKET s = file_socket();
    if (s == SRT_INVALID_SOCK)
        return fail("srt_create_socket");
    if (srt_connect(s, (struct sockaddr *)&sa, sizeof sa) == SRT_ERROR)
        return fail("srt_connect");
    int len = (int)strlen(remote);
    if (send_all(s, (const char *)&len, sizeof len) || send_all(s, remote, len))
        return fail("srt_send");
    int64_t size;
    if (recv_all(s, (char *)&size, sizeof size))
        return fail("srt_recv size");
    if (size < 0) {
        fprintf(stderr, "file_peer: no such file %s on the server\n", remote);
        srt_close(s);
        return 2;
    }
    int64_t offset = 0;
    int64_t got = srt_recvfile(s, local, &offset, size, SRT_DEFAULT_RECVFILE_BLOCK);
    if (got == SRT_ERROR)
        return fail("srt_recvfile");
    if (got != size) {
        fprintf(stderr, "file_peer: got %lld of %lld bytes\n", (long long)got, (long long)size);
        return 1;
    }
    printf("received %lld bytes\n", (long long)got);
    srt_close(s);
    return 0;
}

static void serve_one(SRTSOCKET c)
{
    char name[1024];
    int len;
    int64_t size = -1;
    FILE *f = NULL;
    if (recv_all(c, (char *)&len, sizeof len))
        return;
    if (len > 0 && len < (int)sizeof name && recv_all(c, name, len) == 0) {
        name[len] = '\0';
        f = fopen(name, "rb");
        if (f && fseeko(f, 0, SEEK_END) == 0)
            size = (int64_t)ftello(f);
        if (f)
            rewind(f);
    }
    if (send_all(c, (const char *)&size, sizeof size) == 0 && f) {
        static char buf[1 << 20];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            if (send_all(c, buf, (int)n))
                break;
    }
    if (f)
        fclose(f);
    /* Wait (bounded, 30 s) until the client acknowledged everything, then close. */
    for (int i = 0; i < 3000; i++) {
        int pending = 0, optlen = sizeof pending;
        if (srt_getsockflag(c, SRTO_SNDDATA, &pending, &optlen) == SRT_ERROR || pending == 0)
            break;
        if (srt_getsockstate(c) != SRTS_CONNECTED)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

static int server(int port, int count)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    SRTSOCKET l = file_socket();
    if (l == SRT_INVALID_SOCK)
        return fail("srt_create_socket");
    if (srt_bind(l, (struct sockaddr *)&sa, sizeof sa) == SRT_ERROR)
        return fail("srt_bind");
    if (srt_listen(l, 10) == SRT_ERROR)
        return fail("srt_listen");
    struct sockaddr_in bound;
    int blen = sizeof bound;
    srt_getsockname(l, (struct sockaddr *)&bound, &blen);
    printf("server is ready at port: %d\n", ntohs(bound.sin_port));
    fflush(stdout);
    for (int i = 0; i < count; i++) {
        struct sockaddr_storage peer;
        int plen = sizeof peer;
        SRTSOCKET c = srt_accept(l, (struct sockaddr *)&peer, &plen);
        if (c == SRT_INVALID_SOCK)
            return fail("srt_accept");
        serve_one(c);
        srt_close(c);
    }
    srt_close(l);
    return 0;
}

int main(int argc, char **argv)
{
    int rc;
    srt_startup();
    if (argc == 6 && strcmp(argv[1], "client") == 0)
        rc = client(argv[2], atoi(argv[3]), argv[4], argv[5]);
    else if (argc == 4 && strcmp(argv[1], "server") == 0)
        rc = server(atoi(argv[2]), atoi(argv[3]));
    else {
        fprintf(stderr, "usage: file_peer client HOST PORT REMOTE LOCAL | server PORT COUNT\n");
        rc = 1;
    }
    srt_cleanup();
    return rc;
}
