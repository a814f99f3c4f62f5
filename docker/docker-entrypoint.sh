#!/usr/bin/env bash
# Entrypoint of the fl-server image (Dockerfile). Usage, as with Apache Fluss's image:
#
#   docker-entrypoint.sh coordinatorServer [fl-server args...]   -> fl-server coordinator
#   docker-entrypoint.sh tabletServer      [fl-server args...]   -> fl-server tablet
#   docker-entrypoint.sh local             [fl-server args...]   -> fl-server local (default)
#   docker-entrypoint.sh -Dkey=value ...                         -> fl-server local -D...
#   docker-entrypoint.sh help
#   docker-entrypoint.sh <any other command>                     -> run it as given
#
# FLUSS_PROPERTIES: multi-line "key: value" text, as Fluss's image takes it. fl-server reads
# -Dkey=value arguments after its config file and lets them win (server/main.c), so each line
# becomes one -D argument; the image's conf/server.yaml is never edited, and a restarted
# container starts from the same configuration. Blank lines and lines starting with # are
# skipped; a value wrapped in matching quotes loses them. A line without "key: value" stops the
# container with a message (exit 2).
#
# Container defaults, each dropped when FLUSS_PROPERTIES sets the key:
#   data.dir                    /var/lib/fl-server/data          (a volume)
#   bind.listeners              FLUSS://0.0.0.0:9123
#   advertised.listeners        FLUSS://$(hostname):9123         (only when bind.listeners is
#                               not set either; 0.0.0.0 cannot be handed to clients)
#   datalake.paimon.warehouse   /var/lib/fl-server/warehouse/paimon    (a volume)
#   datalake.iceberg.warehouse  /var/lib/fl-server/warehouse/iceberg
#
# Other variables:
#   FL_SERVER_BIN   the binary       (default $FL_HOME/bin/fl-server)
#   FL_CONF_DIR     --configDir      (default $FL_HOME/conf; its server.yaml holds the defaults)
#   FL_ADVERTISED_HOST  host for the default advertised.listeners (default: hostname)
#   FL_DRY_RUN=1    print the command, one argument per line, instead of running it
#                   (tests/container/check_container.py uses this)
set -euo pipefail

FL_HOME="${FL_HOME:-/opt/fl-server}"
FL_SERVER_BIN="${FL_SERVER_BIN:-$FL_HOME/bin/fl-server}"
FL_CONF_DIR="${FL_CONF_DIR:-$FL_HOME/conf}"

run() {
    if [ "${FL_DRY_RUN:-0}" = "1" ]; then
        printf '%s\n' "$@"
        exit 0
    fi
    exec "$@"
}

trim() { # $1 -> stdout, leading/trailing blanks removed
    local s="$1"
    s="${s#"${s%%[![:space:]]*}"}"
    s="${s%"${s##*[![:space:]]}"}"
    printf '%s' "$s"
}

# FLUSS_PROPERTIES -> prop_keys[] / prop_flags[]
prop_keys=()
prop_flags=()
parse_properties() {
    local line key value n=0
    while IFS= read -r line || [ -n "$line" ]; do
        n=$((n + 1))
        line="${line%$'\r'}"
        case "$(trim "$line")" in
            "" | "#"*) continue ;;
        esac
        if [[ "$line" != *:* ]]; then
            echo "docker-entrypoint: FLUSS_PROPERTIES line $n is not 'key: value': $line" >&2
            exit 2
        fi
        key="$(trim "${line%%:*}")"
        value="$(trim "${line#*:}")"
        if [ -z "$key" ] || [[ "$key" == *[[:space:]]* ]]; then
            echo "docker-entrypoint: FLUSS_PROPERTIES line $n has no usable key: $line" >&2
            exit 2
        fi
        if [ ${#value} -ge 2 ]; then
            case "$value" in
                \"*\" | \'*\') value="${value:1:${#value}-2}" ;;
            esac
        fi
        prop_keys+=("$key")
        prop_flags+=("-D$key=$value")
    done <<<"${FLUSS_PROPERTIES:-}"
}

has_prop() { # $1 = key
    local k
    for k in "${prop_keys[@]+"${prop_keys[@]}"}"; do
        [ "$k" = "$1" ] && return 0
    done
    return 1
}

server_command() { # $1 = fl-server role, rest = extra args
    local role="$1"
    shift
    parse_properties
    local defaults=()
    has_prop data.dir || defaults+=("-Ddata.dir=/var/lib/fl-server/data")
    if ! has_prop bind.listeners; then
        defaults+=("-Dbind.listeners=FLUSS://0.0.0.0:9123")
        if ! has_prop advertised.listeners; then
            local host="${FL_ADVERTISED_HOST:-$(hostname)}"
            defaults+=("-Dadvertised.listeners=FLUSS://$host:9123")
        fi
    fi
    has_prop datalake.paimon.warehouse ||
        defaults+=("-Ddatalake.paimon.warehouse=/var/lib/fl-server/warehouse/paimon")
    has_prop datalake.iceberg.warehouse ||
        defaults+=("-Ddatalake.iceberg.warehouse=/var/lib/fl-server/warehouse/iceberg")
    echo "docker-entrypoint: starting fl-server $role" >&2
    run "$FL_SERVER_BIN" "$role" --configDir "$FL_CONF_DIR" \
        "${defaults[@]+"${defaults[@]}"}" "${prop_flags[@]+"${prop_flags[@]}"}" "$@"
}

if [ $# -eq 0 ]; then
    set -- local
fi

case "$1" in
    help | --help | -h)
        echo "usage: docker-entrypoint.sh (coordinatorServer|tabletServer|local) [fl-server args]"
        echo "       docker-entrypoint.sh help"
        echo "       docker-entrypoint.sh <command> [args]   (run as given)"
        exit 0
        ;;
    coordinatorServer | coordinator)
        shift
        server_command coordinator "$@"
        ;;
    tabletServer | tablet)
        shift
        server_command tablet "$@"
        ;;
    local)
        shift
        server_command local "$@"
        ;;
    -*)
        server_command local "$@"
        ;;
    *)
        run "$@"
        ;;
esac
