# fl-server container image. Two stages:
#   build   Debian 12 (bookworm, the release the project is developed on) with the packages of
#           scripts/install-deps.sh that the C build needs; CMake + Ninja, RelWithDebInfo as
#           scripts/build.sh does; only the fl-server and fl-admin targets.
#   runtime debian:bookworm-slim with the shared libraries `ldd fl-server` names (mapped to
#           packages with dpkg -S), a non-root user, conf/server.yaml as defaults.
#
#   docker build -t fl-server .
#   docker run -p 9123:9123 fl-server local
#   docker run fl-server coordinatorServer | tabletServer | local | help | <any command>
#
# Roles, FLUSS_PROPERTIES and FL_* variables: docker/docker-entrypoint.sh.
# tests/container/check_container.py checks this file's package lists against apt and ldd.

FROM debian:bookworm AS build
ARG DEBIAN_FRONTEND=noninteractive
# Build packages: the "build" and "libraries" groups of scripts/install-deps.sh (no JDK, Maven or
# Python: the image build runs no tests). cmocka is listed because CMakeLists.txt requires it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      librocksdb-dev libevent-dev libprotobuf-c-dev protobuf-c-compiler libssl-dev libzstd-dev \
      liblz4-dev libyaml-dev libjansson-dev libcmocka-dev libsnappy-dev zlib1g-dev libroaring-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFL_SANITIZE=OFF \
      -DFL_PYTHON= -DFL_MAVEN= \
 && ninja -C /build fl-server fl-admin \
 && /build/server/fl-server --version

FROM debian:bookworm-slim AS runtime
ARG DEBIAN_FRONTEND=noninteractive
# Runtime packages: one per shared library of fl-server (ldd + dpkg -S on bookworm).
#   librocksdb.so.7.8 librocksdb7.8 | libgflags.so.2.2 libgflags2.2 | libsnappy.so.1 libsnappy1v5
#   libprotobuf-c.so.1 libprotobuf-c1 | libyaml-0.so.2 libyaml-0-2 | libzstd.so.1 libzstd1
#   liblz4.so.1 liblz4-1 | libjansson.so.4 libjansson4 | libevent-2.1.so.7 libevent-2.1-7
#   libevent_core-2.1.so.7 libevent-core-2.1-7 | libevent_pthreads-2.1.so.7 libevent-pthreads-2.1-7
#   (the last two when the build links libevent's parts separately, as the ASan tree does)
#   libstdc++.so.6 libstdc++6 | libgcc_s.so.1 libgcc-s1 | libz.so.1 zlib1g | libbz2.so.1.0 libbz2-1.0
#   libroaring.so.0 libroaring0
#   libc/libm/libpthread: libc6 (in the base image)
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      librocksdb7.8 libgflags2.2 libsnappy1v5 libprotobuf-c1 libyaml-0-2 libzstd1 liblz4-1 \
      libjansson4 libevent-2.1-7 libevent-core-2.1-7 libevent-pthreads-2.1-7 libstdc++6 libgcc-s1 \
      zlib1g libbz2-1.0 libroaring0 \
 && rm -rf /var/lib/apt/lists/*

# Non-root user with a fixed uid/gid. Named volumes mounted on the two directories below start
# as copies of them, owned by this user (docker-compose.yml relies on that for the warehouse).
ARG FL_UID=9123
ARG FL_GID=9123
RUN groupadd --system --gid "${FL_GID}" fluss \
 && useradd --system --uid "${FL_UID}" --gid fluss --home-dir /opt/fl-server --no-create-home \
      --shell /usr/sbin/nologin fluss

ENV FL_HOME=/opt/fl-server
COPY --from=build /build/server/fl-server /build/server/cli/fl-admin ${FL_HOME}/bin/
COPY conf/server.yaml ${FL_HOME}/conf/server.yaml
COPY docker/docker-entrypoint.sh /docker-entrypoint.sh
# The entrypoint appends FLUSS_PROPERTIES to conf/server.yaml, so the conf dir belongs to the
# user; data and the lake warehouse are volumes.
RUN mkdir -p /var/lib/fl-server/data /var/lib/fl-server/warehouse \
 && chown -R fluss:fluss ${FL_HOME}/conf /var/lib/fl-server \
 && chmod 0755 /docker-entrypoint.sh \
 && ln -s ${FL_HOME}/bin/fl-server /usr/local/bin/fl-server \
 && ln -s ${FL_HOME}/bin/fl-admin /usr/local/bin/fl-admin
ENV PATH=${FL_HOME}/bin:${PATH}
VOLUME ["/var/lib/fl-server/data", "/var/lib/fl-server/warehouse"]
USER fluss
WORKDIR ${FL_HOME}
# 9123: the one listener (FLUSS), used by clients and, in a split deployment, by tablet servers
# registering with the coordinator (docs/configuration.md: internal.listener.name = FLUSS).
EXPOSE 9123
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD ["local"]
