package dev.flserver.interop;

import dev.flserver.testing.FlServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.fluss.client.Connection;
import org.apache.fluss.client.ConnectionFactory;
import org.apache.fluss.client.admin.Admin;
import org.apache.fluss.cluster.ServerNode;
import org.apache.fluss.cluster.ServerType;
import org.apache.fluss.config.Configuration;
import org.junit.jupiter.api.Test;

/** Issue 2: the real Java client connects and sees the cluster's nodes. */
class ClusterNodesTest {

    static Connection connect(FlServer server) {
        Configuration conf = new Configuration();
        conf.setString("bootstrap.servers", server.bootstrap());
        return ConnectionFactory.createConnection(conf);
    }

    @Test
    void localClusterShowsCoordinatorAndTabletServer() throws Exception {
        try (FlServer server = FlServer.local().start();
                Connection conn = connect(server);
                Admin admin = conn.getAdmin()) {
            List<ServerNode> nodes = admin.getServerNodes().get(30, TimeUnit.SECONDS);
            assertEquals(2, nodes.size(), "nodes: " + nodes);
            ServerNode cs = nodes.get(0);
            assertEquals(ServerType.COORDINATOR, cs.serverType());
            assertEquals(0, cs.id());
            assertEquals("127.0.0.1", cs.host());
            assertEquals(server.port(), cs.port());
            ServerNode ts = nodes.get(1);
            assertEquals(ServerType.TABLET_SERVER, ts.serverType());
            assertEquals(0, ts.id());
            assertEquals("127.0.0.1", ts.host());
            assertEquals(server.port(), ts.port());
            assertTrue(server.isAlive());
        }
    }

    @Test
    void advertisedListenersAndTabletIdAreWhatClientsSee() throws Exception {
        try (FlServer server =
                        FlServer.local()
                                .set("tablet-server.id", "7")
                                .set("tablet-server.rack", "rack-a")
                                .start();
                Connection conn = connect(server);
                Admin admin = conn.getAdmin()) {
            List<ServerNode> nodes = admin.getServerNodes().get(30, TimeUnit.SECONDS);
            assertEquals(2, nodes.size(), "nodes: " + nodes);
            assertEquals(7, nodes.get(1).id());
            assertEquals("rack-a", nodes.get(1).rack());
        }
    }
}
