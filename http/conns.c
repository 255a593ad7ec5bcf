/*
 * conns.c - see conns.h.
 *
 * Each connection is on one of two lists, under mu: `idle`, in the order
 * they became idle (so the head waited longest: the first to time out,
 * and the first to go when the server is full), or `other` (busy, or
 * already shut down and waiting for MHD to close it). open counts both,
 * nshut the shut ones; open - nshut is what holds a place.
 */
#include "http/conns.h"

#include "core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define GUARD_MAX_MS 250 /* the guard's longest sleep */

struct conn {
	struct conn *prev, *next;
	int fd;
	int64_t since_ms; /* idle since (monotonic) */
	bool busy;	  /* a request's head is in, its answer not yet done */
	bool shut;	  /* shut down here; MHD will close it */
	bool on_idle;	  /* on cs->idle (else on cs->other) */
};

struct conn_list {
	struct conn *head, *tail;
};

struct http_conns {
	pthread_mutex_t mu;
	pthread_cond_t wake; /* the guard's sleep; signalled to stop it */
	pthread_t thread;
	bool thread_started;
	bool quit; /* under mu */
	struct conn_list idle, other;
	unsigned open, nshut;
	unsigned limit;
	int64_t header_ms;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void list_remove(struct conn_list *l, struct conn *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else
		l->head = k->next;
	if (k->next)
		k->next->prev = k->prev;
	else
		l->tail = k->prev;
	k->prev = k->next = NULL;
}

static void list_append(struct conn_list *l, struct conn *k)
{
	k->prev = l->tail;
	k->next = NULL;
	if (l->tail)
		l->tail->next = k;
	else
		l->head = k;
	l->tail = k;
}

/* Under mu: take k off its list. */
static void unlink_conn(struct http_conns *cs, struct conn *k)
{
	list_remove(k->on_idle ? &cs->idle : &cs->other, k);
	k->on_idle = false;
}

/* Under mu: close idle k (MHD notices the end and closes it). */
static void shut_conn(struct http_conns *cs, struct conn *k)
{
	unlink_conn(cs, k);
	list_append(&cs->other, k);
	k->shut = true;
	cs->nshut++;
	if (shutdown(k->fd, SHUT_RDWR) && errno != ENOTCONN)
		LOG_LIMITED(LOG_WARN, 1000, "http: cannot close an idle connection: %s",
			    strerror(errno));
}

/* Under mu: while more than limit places are held, close the idle
 * connection that waited longest (never keep: the one just opened). */
static void make_room(struct http_conns *cs, const struct conn *keep)
{
	while (cs->open - cs->nshut > cs->limit && cs->idle.head && cs->idle.head != keep)
		shut_conn(cs, cs->idle.head);
}

/* Under mu: close the idle connections whose head is overdue. */
static void expire(struct http_conns *cs, int64_t now)
{
	while (cs->idle.head && now - cs->idle.head->since_ms >= cs->header_ms)
		shut_conn(cs, cs->idle.head);
}

static void *guard(void *arg)
{
	struct http_conns *cs = arg;
	int64_t step = cs->header_ms / 4 < GUARD_MAX_MS ? cs->header_ms / 4 : GUARD_MAX_MS;

	pthread_setname_np(pthread_self(), "weir-http-guard");
	pthread_mutex_lock(&cs->mu);
	while (!cs->quit) {
		struct timespec until;
		int64_t at = mono_ms() + step;

		until.tv_sec = at / 1000;
		until.tv_nsec = (long)(at % 1000) * 1000000L;
		pthread_cond_timedwait(&cs->wake, &cs->mu, &until);
		expire(cs, mono_ms());
	}
	pthread_mutex_unlock(&cs->mu);
	return NULL;
}

int http_conns_new(unsigned limit, unsigned header_timeout_s, struct http_conns **out)
{
	struct http_conns *cs = calloc(1, sizeof(*cs));
	pthread_condattr_t ca;
	int rc;

	*out = NULL;
	if (!cs)
		return -ENOMEM;
	cs->limit = limit;
	cs->header_ms = (int64_t)header_timeout_s * 1000;
	pthread_mutex_init(&cs->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&cs->wake, &ca);
	pthread_condattr_destroy(&ca);
	rc = pthread_create(&cs->thread, NULL, guard, cs);
	if (rc) {
		log_error("http: cannot start the connection guard thread: %s", strerror(rc));
		http_conns_free(cs);
		return -rc;
	}
	cs->thread_started = true;
	*out = cs;
	return 0;
}

void http_conns_free(struct http_conns *cs)
{
	struct conn *k;

	if (!cs)
		return;
	if (cs->thread_started) {
		pthread_mutex_lock(&cs->mu);
		cs->quit = true;
		pthread_cond_signal(&cs->wake);
		pthread_mutex_unlock(&cs->mu);
		pthread_join(cs->thread, NULL);
	}
	/* MHD has stopped: it notified every close (none is left). */
	while ((k = cs->idle.head) || (k = cs->other.head)) {
		unlink_conn(cs, k);
		free(k);
	}
	pthread_cond_destroy(&cs->wake);
	pthread_mutex_destroy(&cs->mu);
	free(cs);
}

void http_conns_notify(void *cls, struct MHD_Connection *c, void **socket_context,
		       enum MHD_ConnectionNotificationCode toe)
{
	struct http_conns *cs = cls;
	struct conn *k = *socket_context;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		*socket_context = NULL;
		if (!ci || !(k = calloc(1, sizeof(*k))))
			return; /* untracked: it neither times out here nor is evicted */
		*socket_context = k;
		k->fd = ci->connect_fd;
		k->since_ms = mono_ms();
		pthread_mutex_lock(&cs->mu);
		k->on_idle = true;
		list_append(&cs->idle, k);
		cs->open++;
		make_room(cs, k);
		pthread_mutex_unlock(&cs->mu);
		return;
	}
	if (!k)
		return;
	pthread_mutex_lock(&cs->mu);
	unlink_conn(cs, k);
	cs->open--;
	if (k->shut)
		cs->nshut--;
	pthread_mutex_unlock(&cs->mu);
	free(k);
	*socket_context = NULL;
}

/* c's entry in the table, or NULL (untracked). */
static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

bool http_conns_busy(struct http_conns *cs, struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);
	bool over;

	pthread_mutex_lock(&cs->mu);
	if (k && !k->busy && !k->shut) {
		unlink_conn(cs, k);
		list_append(&cs->other, k);
		k->busy = true;
	}
	over = cs->open - cs->nshut > cs->limit;
	pthread_mutex_unlock(&cs->mu);
	return over;
}

void http_conns_idle(struct http_conns *cs, struct MHD_Connection *c)
{
	struct conn *k = conn_of(c);

	if (!k)
		return;
	pthread_mutex_lock(&cs->mu);
	if (k->busy && !k->shut) {
		unlink_conn(cs, k);
		k->busy = false;
		k->since_ms = mono_ms();
		k->on_idle = true;
		list_append(&cs->idle, k);
		/* a place freed up: the server may have been over its limit */
		make_room(cs, NULL);
	}
	pthread_mutex_unlock(&cs->mu);
}
