/* fl_server.h: the server process: listeners, connections, dispatch, the event loop. */
#ifndef FL_SERVER_H
#define FL_SERVER_H

#include "fl_apis.h"
#include "fl_config.h"

typedef struct fl_server_s fl_server_t;

/** @brief Build a server for the given roles (FL_ROLE_CS, FL_ROLE_TS or both = local) from a
 *  loaded configuration. Binds the listeners.
 *  @param why OUT: what is wrong, when NULL is returned (bad configuration, bind failure). */
fl_server_t *fl_server_new(fl_config_t *conf, unsigned roles, const char **why /* OUT */);
/** @brief Serve until SIGTERM/SIGINT (or fl_server_stop), then drain and return 0. */
int fl_server_run(fl_server_t *srv);
/** @brief Ask the loop to stop gracefully (async-signal-unsafe; call on the loop thread). */
void fl_server_stop(fl_server_t *srv);
void fl_server_free(fl_server_t *srv);

#endif
