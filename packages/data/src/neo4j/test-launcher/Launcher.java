import java.nio.file.Files;
import java.nio.file.Path;
import org.neo4j.cli.ExecutionContext;
import org.neo4j.commandline.admin.security.SetInitialPasswordCommand;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.Transaction;
import picocli.CommandLine;

/**
 * Runs a Neo4j Community DBMS in home (args[0]) with the settings in home/conf/neo4j.conf,
 * until SIGTERM. The password of user neo4j is read from home/initial-password, which is
 * deleted at once, and set before the first start the documented way (neo4j-admin dbms
 * set-initial-password): Bolt never accepts the default password, not even for a moment.
 *
 * With --train it runs a few queries and exits instead: the testkit runs that once with
 * -XX:ArchiveClassesAtExit, so later starts map the classes Neo4j needs from that archive.
 */
public final class Launcher {
  public static void main(String[] args) {
    try {
      Path home = Path.of(args[0]).toAbsolutePath();
      boolean train = args.length > 1 && args[1].equals("--train");
      Path conf = home.resolve("conf");
      Path passwordFile = home.resolve("initial-password");
      String password = Files.readString(passwordFile).trim();
      Files.delete(passwordFile);
      SetInitialPasswordCommand setPassword =
          new SetInitialPasswordCommand(new ExecutionContext(home, conf));
      if (new CommandLine(setPassword).execute(password) != 0) {
        throw new IllegalStateException("neo4j-admin dbms set-initial-password failed");
      }
      DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
          .loadPropertiesFromFile(conf.resolve("neo4j.conf"))
          .build();
      if (train) {
        try (Transaction tx = dbms.database("neo4j").beginTx()) {
          tx.execute("MERGE (n:Warmup {id: $id}) SET n.at = 1 RETURN n", java.util.Map.of("id", "x"))
              .resultAsString();
          tx.execute("MATCH (n:Warmup) DETACH DELETE n").resultAsString();
          tx.commit();
        }
        dbms.shutdown();
        System.exit(0);
      }
      Runtime.getRuntime().addShutdownHook(new Thread(dbms::shutdown));
    } catch (Throwable error) {
      // The DBMS's own threads would keep a half-started JVM alive; the testkit waits for an exit.
      error.printStackTrace();
      System.exit(1);
    }
  }
}
