/*
 * Starts Amazon's DynamoDB Local the way `npm start` needs it (lib/local/services.ts runs this file
 * with Java's source launcher, the jar on the class path):
 *
 * - on one address only (args[0], 127.0.0.1 by default): the jar has no flag for it and binds every
 *   interface, so anyone on the network could read the local table. Its Jetty connector is given
 *   the host before it starts.
 * - failing fast: a port in use or an unusable data folder ends the process with its own exit code
 *   (2, 3) and a line saying why, instead of a server that never answers.
 * - dying with its parent: standard input is a pipe from Node; when it closes (Node exited, however
 *   it died) this process exits too, so no Java is left holding the port.
 * - a line "DynamoDB Local listening on host:port" once the port is bound, so Node need not poll.
 *
 * No telemetry is sent: the jar's main method configures it, this launcher does not call it, and
 * services.ts passes -disableTelemetry as well (nor is a dynamodb-local-metadata.json written).
 */
import java.io.File;
import java.lang.reflect.Field;
import java.net.BindException;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDbLocalLauncher {
  static final int PORT_UNUSABLE = 2;
  static final int FOLDER_UNUSABLE = 3;

  public static void main(String[] args) throws Exception {
    Thread parentWatch = new Thread(() -> {
      try {
        while (System.in.read() != -1) { /* nothing is sent; EOF means the parent is gone */ }
      } catch (Exception ignored) {
        // a broken pipe is the same news
      }
      Runtime.getRuntime().halt(0);
    }, "parent-watch");
    parentWatch.setDaemon(true);
    parentWatch.start();

    String host = args[0];
    String[] jarArgs = java.util.Arrays.copyOfRange(args, 1, args.length);
    for (int i = 0; i + 1 < jarArgs.length; i++) {
      if (jarArgs[i].equals("-dbPath")) {
        File folder = new File(jarArgs[i + 1]);
        if (!folder.isDirectory() || !folder.canWrite()) fail(FOLDER_UNUSABLE, "data folder " + folder + " is not a writable directory");
      }
    }

    DynamoDBProxyServer proxy;
    try {
      proxy = ServerRunner.createServerFromCommandLineArgs(jarArgs);
    } catch (Exception e) {
      fail(1, "DynamoDB Local refused its arguments: " + e);
      return;
    }
    Field jettyField = DynamoDBProxyServer.class.getDeclaredField("server");
    jettyField.setAccessible(true);
    Server jetty = (Server) jettyField.get(proxy);
    int port = 0;
    for (Connector connector : jetty.getConnectors()) {
      ServerConnector serverConnector = (ServerConnector) connector;
      serverConnector.setHost(host);
      port = serverConnector.getPort();
    }
    try {
      proxy.safeStart();
    } catch (Exception e) {
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof BindException)) cause = cause.getCause();
      if (cause instanceof BindException) fail(PORT_UNUSABLE, "cannot listen on " + host + ":" + port + ": " + cause.getMessage());
      fail(1, "DynamoDB Local did not start: " + e);
    }
    System.out.println("DynamoDB Local listening on " + host + ":" + port);
    System.out.flush();
  }

  static void fail(int code, String message) {
    System.err.println(message);
    System.err.flush();
    Runtime.getRuntime().halt(code);
  }
}
