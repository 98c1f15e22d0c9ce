import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * DynamoDB Local as keyward's local stack runs it (local/dynamodb-local.ts), started in Java's
 * source-file mode with DynamoDB Local's own arguments. DynamoDB Local has no option for either
 * of the two things this adds before its server starts:
 *
 * - it listens on 127.0.0.1 only (its Jetty connector otherwise binds every interface), so
 *   nobody on the network can reach it;
 * - with KEYWARD_DYNAMODB_ACCESS_KEY_ID set (the environment, which other users cannot read, not
 *   the command line, which they can), a request whose SigV4 Authorization header names another
 *   access key id is refused as AWS refuses an unknown one, before DynamoDB Local sees it: without
 *   -sharedDb it would open (and create, as a file) a database for that key id.
 */
public final class LoopbackDynamoDbLocal {
    private static final String LOOPBACK = "127.0.0.1";
    private static final Pattern CREDENTIAL = Pattern.compile("^AWS4-HMAC-SHA256\\s+Credential=([A-Za-z0-9]+)/");
    private static final byte[] REFUSED = ("{\"__type\":\"com.amazonaws.dynamodb.v20120810#UnrecognizedClientException\","
            + "\"message\":\"The security token included in the request is invalid.\"}").getBytes(StandardCharsets.UTF_8);

    private LoopbackDynamoDbLocal() {}

    public static void main(String[] args) throws Exception {
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        for (Connector connector : server.getConnectors()) {
            ((ServerConnector) connector).setHost(LOOPBACK);
        }
        String accessKeyId = System.getenv("KEYWARD_DYNAMODB_ACCESS_KEY_ID");
        if (accessKeyId != null && !accessKeyId.isEmpty()) {
            server.setHandler(new OwnKeyOnly(server.getHandler(), accessKeyId));
        }
        proxy.start();
        System.out.println("keyward: DynamoDB Local listens on " + LOOPBACK + " only");
    }

    /** Lets through only requests signed with the state directory's access key id. */
    private static final class OwnKeyOnly extends Handler.Wrapper {
        private final String accessKeyId;

        OwnKeyOnly(Handler handler, String accessKeyId) {
            super(handler);
            this.accessKeyId = accessKeyId;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            String authorization = request.getHeaders().get("Authorization");
            Matcher credential = CREDENTIAL.matcher(authorization == null ? "" : authorization);
            if (credential.find() && credential.group(1).equals(accessKeyId)) {
                return super.handle(request, response, callback);
            }
            response.setStatus(400);
            response.getHeaders().put("Content-Type", "application/x-amz-json-1.0");
            response.write(true, ByteBuffer.wrap(REFUSED), callback);
            return true;
        }
    }
}
