/*
 * group_stall: repeats libsrt's broadcast-group receive stall case (srtfu issue 13 item 6),
 * written for srtfu on the libsrt C API.
 *
 *   group_stall RUNS [DIRECTION [INTERVAL_MS [RECOVERY]]]
 *
 * DIRECTION: caller-recv (the caller's group receives what the listener's accepted group
 * sends), listener-recv (the other way), or both (default: RUNS runs of each).
 * INTERVAL_MS: the pause between the 100 messages (default 1).
 * RECOVERY: what is done after a stall before reading again: retry (default: nothing, the
 * next srt_recvmsg2 call) or epoll (each member subscribed to a throwaway epoll first).
 *
 * Each run: a listener on 127.0.0.1 with SRTO_GROUPCONNECT=1; a caller broadcast group with
 * two members, both to that listener; srt_accept returns the accepted group; both groups
 * are waited on until srt_group_data shows two connected members; 100 messages (a 4-byte
 * big-endian sequence number and padding, 200 bytes) are sent with srt_sendmsg2 on the
 * sending group while the receiving group reads them with srt_recvmsg2 and SRTO_RCVTIMEO of
 * 2 s. A run that delivers fewer than 100 is a stall; for it the member sockets' and the
 * group's statistics (srt_bistats, instantaneous) are printed as they were when the receive
 * timed out; then the group is read again (RECOVERY): a stall that this second reading
 * ends, delivering the rest in order, counts as recovered.
 *
 * Output, one line each:
 *   run DIR K delivered=D inorder=0|1 [stall]
 *     member ID state=S recv=R unique=U drop=D rcvbuf=P/B belated=L   (stalls only)
 *     group recv=R unique=U drop=D rcvbuf=P/B                          (stalls only)
 *     after receiving again|re-subscribing the members: M more, delivered=D inorder=0|1
 *   summary DIR runs=N connected=C complete=F stalls=S recovered=R disorder=O
 * With no bonding in this libsrt: "no bonding: srt_create_group: MESSAGE" and exit 3.
 * Exit 0 when every connected run delivered in order (stalls allowed) and no setup failed;
 * 1 otherwise (setup failure, a disordered or duplicated delivery). A run whose two members
 * did not connect within 5 s is reported on stderr and left out of connected=.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <srt/srt.h>

#define MESSAGES 100
#define PAYLOAD 200
#define MAX_MEMBERS 8

static int interval_ms = 1;
static int recover_by_epoll = 0;

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static int set_int(SRTSOCKET s, SRT_SOCKOPT opt, int v)
{
    return srt_setsockflag(s, opt, &v, sizeof v);
}

/* Members of a group, connected ones counted. Returns the member count or -1. */
static int members(SRTSOCKET g, SRT_SOCKGROUPDATA *out, int *connected)
{
    size_t n = MAX_MEMBERS;
    if (srt_group_data(g, out, &n) == SRT_ERROR)
        return -1;
    *connected = 0;
    for (size_t i = 0; i < n; i++)
        if (out[i].sockstate == SRTS_CONNECTED)
            (*connected)++;
    return (int)n;
}

/* Waits up to 5 s until the group has two connected members. */
static int wait_two(SRTSOCKET g)
{
    SRT_SOCKGROUPDATA d[MAX_MEMBERS];
    for (int i = 0; i < 500; i++) {
        int c = 0;
        int n = members(g, d, &c);
        if (n == 2 && c == 2)
            return 0;
        sleep_ms(10);
    }
    return -1;
}

struct sender {
    SRTSOCKET group;
    int sent;
};

static void *send_all(void *arg)
{
    struct sender *s = arg;
    char buf[PAYLOAD];
    memset(buf, 'x', sizeof buf);
    for (uint32_t i = 0; i < MESSAGES; i++) {
        uint32_t be = htonl(i);
        memcpy(buf, &be, 4);
        SRT_MSGCTRL mc = srt_msgctrl_default;
        if (srt_sendmsg2(s->group, buf, sizeof buf, &mc) != (int)sizeof buf) {
            fprintf(stderr, "group_stall: send %u: %s\n", i, srt_getlasterror_str());
            break;
        }
        s->sent++;
        sleep_ms(interval_ms);
    }
    return NULL;
}

static void print_stats(SRTSOCKET rx)
{
    SRT_SOCKGROUPDATA d[MAX_MEMBERS];
    int c = 0;
    int n = members(rx, d, &c);
    for (int i = 0; i < n; i++) {
        SRT_TRACEBSTATS st;
        memset(&st, 0, sizeof st);
        if (srt_bistats(d[i].id, &st, 0, 1) == SRT_ERROR) {
            printf("  member %d state=%d memberstate=%d bstats: %s\n", d[i].id,
                   (int)d[i].sockstate, (int)d[i].memberstate, srt_getlasterror_str());
            continue;
        }
        printf("  member %d state=%d memberstate=%d recv=%lld unique=%lld drop=%d "
               "rcvbuf=%d/%d belated=%lld loss=%d\n",
               d[i].id, (int)d[i].sockstate, (int)d[i].memberstate,
               (long long)st.pktRecvTotal, (long long)st.pktRecvUniqueTotal,
               st.pktRcvDropTotal, st.pktRcvBuf, st.byteRcvBuf,
               (long long)st.pktRcvBelated, st.pktRcvLossTotal);
    }
    SRT_TRACEBSTATS gs;
    memset(&gs, 0, sizeof gs);
    if (srt_bistats(rx, &gs, 0, 1) == SRT_ERROR)
        printf("  group bstats: %s\n", srt_getlasterror_str());
    else
        printf("  group recv=%lld unique=%lld drop=%d rcvbuf=%d/%d\n",
               (long long)gs.pktRecvTotal, (long long)gs.pktRecvUniqueTotal,
               gs.pktRcvDropTotal, gs.pktRcvBuf, gs.byteRcvBuf);
}

struct tally {
    int runs, connected, complete, stalls, recovered, disorder;
};

/* One run. caller_receives: the caller's group receives. Returns 0, 1 when the two members
 * did not connect within 5 s (a busy machine; the run is not counted as connected), or -1 on
 * setup failure. */
static int one_run(int k, int caller_receives, struct tally *t)
{
    const char *dir = caller_receives ? "caller-recv" : "listener-recv";
    int rc = -1;
    SRTSOCKET lsn = srt_create_socket();
    SRTSOCKET cg = SRT_INVALID_SOCK, ag = SRT_INVALID_SOCK;
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int salen = sizeof sa;
    t->runs++;
    if (lsn == SRT_INVALID_SOCK || set_int(lsn, SRTO_GROUPCONNECT, 1) == SRT_ERROR ||
        srt_bind(lsn, (struct sockaddr *)&sa, sizeof sa) == SRT_ERROR ||
        srt_listen(lsn, 4) == SRT_ERROR ||
        srt_getsockname(lsn, (struct sockaddr *)&sa, &salen) == SRT_ERROR) {
        fprintf(stderr, "group_stall: listener: %s\n", srt_getlasterror_str());
        goto out;
    }
    cg = srt_create_group(SRT_GTYPE_BROADCAST);
    if (cg == SRT_INVALID_SOCK) {
        fprintf(stderr, "group_stall: srt_create_group: %s\n", srt_getlasterror_str());
        goto out;
    }
    SRT_SOCKGROUPCONFIG ep[2];
    for (int i = 0; i < 2; i++)
        ep[i] = srt_prepare_endpoint(NULL, (struct sockaddr *)&sa, sizeof sa);
    /* Blocking: returns once a member is connected. */
    if (srt_connect_group(cg, ep, 2) == SRT_ERROR) {
        fprintf(stderr, "group_stall: srt_connect_group: %s\n", srt_getlasterror_str());
        goto out;
    }
    ag = srt_accept(lsn, NULL, NULL);
    if (ag == SRT_INVALID_SOCK || !(ag & SRTGROUP_MASK)) {
        fprintf(stderr, "group_stall: srt_accept gave %d (%s)\n", ag, srt_getlasterror_str());
        goto out;
    }
    if (wait_two(cg) || wait_two(ag)) {
        fprintf(stderr, "group_stall: run %d: two members not connected within 5 s\n", k);
        rc = 1; /* counted (connected= stays lower), not a failure of the probe */
        goto out;
    }
    t->connected++;
    /* Data sent the instant a member connects can be lost; let both settle. */
    sleep_ms(100);
    SRTSOCKET rx = caller_receives ? cg : ag;
    struct sender s = { caller_receives ? ag : cg, 0 };
    set_int(rx, SRTO_RCVTIMEO, 2000);
    pthread_t th;
    pthread_create(&th, NULL, send_all, &s);
    int delivered = 0, inorder = 1;
    char buf[1500];
    while (delivered < MESSAGES) {
        SRT_MSGCTRL mc = srt_msgctrl_default;
        int n = srt_recvmsg2(rx, buf, sizeof buf, &mc);
        if (n == SRT_ERROR)
            break;
        uint32_t be;
        memcpy(&be, buf, 4);
        if (n != PAYLOAD || ntohl(be) != (uint32_t)delivered)
            inorder = 0;
        delivered++;
    }
    int stalled = delivered < MESSAGES;
    printf("run %s %d delivered=%d inorder=%d%s\n", dir, k, delivered, inorder,
           stalled ? " stall" : "");
    if (stalled) {
        printf("  recv error: %s\n", srt_getlasterror_str());
        print_stats(rx);
        t->stalls++;
        if (recover_by_epoll) {
            /* Subscribing a member to an epoll makes libsrt re-check its read-readiness
             * (CUDT::addEPoll), which wakes the group's own member poll. */
            int eid = srt_epoll_create();
            SRT_SOCKGROUPDATA md[MAX_MEMBERS];
            int mc_ = 0;
            int nm = members(rx, md, &mc_);
            const int in = SRT_EPOLL_IN;
            for (int i = 0; i < nm; i++)
                srt_epoll_add_usock(eid, md[i].id, &in);
            srt_epoll_release(eid);
        }
        int before = delivered;
        while (delivered < MESSAGES) {
            SRT_MSGCTRL mc = srt_msgctrl_default;
            int n = srt_recvmsg2(rx, buf, sizeof buf, &mc);
            if (n == SRT_ERROR)
                break;
            uint32_t be;
            memcpy(&be, buf, 4);
            if (n != PAYLOAD || ntohl(be) != (uint32_t)delivered)
                inorder = 0;
            delivered++;
        }
        printf("  after %s: %d more, delivered=%d inorder=%d\n",
               recover_by_epoll ? "re-subscribing the members" : "receiving again", delivered - before,
               delivered, inorder);
        if (delivered == MESSAGES)
            t->recovered++;
    } else {
        t->complete++;
    }
    if (!inorder)
        t->disorder++;
    pthread_join(th, NULL);
    fflush(stdout);
    rc = 0;
out:
    if (ag != SRT_INVALID_SOCK)
        srt_close(ag);
    if (cg != SRT_INVALID_SOCK)
        srt_close(cg);
    if (lsn != SRT_INVALID_SOCK)
        srt_close(lsn);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: group_stall RUNS [caller-recv|listener-recv|both [INTERVAL_MS [retry|epoll]]]\n");
        return 2;
    }
    int runs = atoi(argv[1]);
    const char *which = argc > 2 ? argv[2] : "both";
    if (argc > 3)
        interval_ms = atoi(argv[3]);
    if (argc > 4)
        recover_by_epoll = strcmp(argv[4], "epoll") == 0;
    srt_startup();
    srt_setloglevel(getenv("GROUP_STALL_LOG") ? 4 : 2); /* 2: LOG_CRIT, 4: LOG_WARNING */
    SRTSOCKET probe = srt_create_group(SRT_GTYPE_BROADCAST);
    if (probe == SRT_INVALID_SOCK) {
        printf("no bonding: srt_create_group: %s\n", srt_getlasterror_str());
        srt_cleanup();
        return 3;
    }
    srt_close(probe);
    int status = 0;
    for (int d = 0; d < 2; d++) {
        int caller_receives = d == 0;
        const char *name = caller_receives ? "caller-recv" : "listener-recv";
        if (strcmp(which, "both") != 0 && strcmp(which, name) != 0)
            continue;
        struct tally t = { 0, 0, 0, 0, 0, 0 };
        for (int k = 0; k < runs; k++)
            if (one_run(k, caller_receives, &t) < 0)
                status = 1;
        if (t.disorder)
            status = 1;
        printf("summary %s runs=%d connected=%d complete=%d stalls=%d recovered=%d disorder=%d\n",
               name, t.runs, t.connected, t.complete, t.stalls, t.recovered, t.disorder);
        fflush(stdout);
    }
    srt_cleanup();
    return status;
}
