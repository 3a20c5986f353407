package io.jrnn.cli;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import io.jrnn.Jrnn;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code jrnn} command-line tool: {@code demo}, {@code generate}, {@code classify}, {@code translate} and
 * {@code info}, packed with its dependencies
 * into {@code target/jrnn-cli.jar} ({@code java -jar target/jrnn-cli.jar demo "27 November 2026"}).
 *
 * <p>Exit codes: {@value #OK} success; {@value #BAD_INPUT} bad usage or input (a message on stderr, no stack
 * trace); {@value #IO_ERROR} an unreadable, missing or malformed file. Text in and out is UTF-8.
 *
 * <p>Thread safety: a {@link CommandLine} from {@link #commandLine} runs one command at a time; make one per thread.
 */
@Command(name = "jrnn", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        subcommands = {DemoCommand.class, GenerateCommand.class, ClassifyCommand.class, TranslateCommand.class,
                InfoCommand.class, RunCommand.class, CommandLine.HelpCommand.class},
        usageHelpAutoWidth = true,
        description = "Fast CPU inference of recurrent networks and seq2seq models (jrnn).",
        footerHeading = "%nExamples:%n",
        footer = {"  jrnn demo \"27 November 2026\"",
                  "  jrnn demo --png align.png \"2026년 11월 27일\"",
                  "  jrnn generate --seed 7 \"=item Can't locate \"",
                  "  jrnn classify \"Useless use of %%s in void context\"",
                  "  jrnn translate --model m.safetensors < in.txt > out.txt",
                  "  jrnn info m.safetensors",
                  "  jrnn info model.onnx",
                  "  jrnn run model.onnx --input x=3x1:4,2,7",
                  "",
                  "Exit codes: 0 ok, 1 bad usage or input, 2 missing, unreadable or malformed file."})
public final class Main implements Runnable {
    public static final int OK = 0, BAD_INPUT = 1, IO_ERROR = 2;

    @Spec
    CommandSpec spec;

    /** Where {@code translate} reads its lines. */
    final InputStream stdin;

    Main(InputStream stdin) {
        this.stdin = stdin;
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing a command: demo, generate, classify, translate, info or run");
    }

    /** The {@code --version} lines: the library and the kernel path it runs. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String features = String.join(" ", Jrnn.cpuFeatures());
            return new String[] {"jrnn " + Jrnn.version() + " (kernels: " + Jrnn.isa()
                    + (features.isEmpty() ? "" : ", " + features) + ")",
                    "Java " + System.getProperty("java.version") + ", " + System.getProperty("os.name") + " "
                            + System.getProperty("os.arch")};
        }
    }

    /**
     * The command line with jrnn's error handling: usage errors and bad input print one message (and a hint) on
     * the error writer and return {@value #BAD_INPUT}; file errors return {@value #IO_ERROR}. Callers may replace
     * the output and error writers with {@link CommandLine#setOut}/{@link CommandLine#setErr}.
     *
     * @param stdin where {@code translate} reads
     */
    public static CommandLine commandLine(InputStream stdin) {
        CommandLine cl = new CommandLine(new Main(stdin));
        cl.setOut(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true));
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionExceptionHandler((e, failed, parsed) -> failure(e, failed));
        return cl;
    }

    public static void main(String[] args) {
        if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
        int code;
        try {
            code = commandLine(System.in).execute(args);
        } catch (LinkageError e) {
            // native libraries that do not load (another OS or CPU): no command can run
            System.err.println("jrnn: cannot load the native library: " + e);
            code = BAD_INPUT;
        }
        System.exit(code);
    }

    private static int usageError(ParameterException e, String[] args) {
        CommandLine cl = e.getCommandLine();
        PrintWriter err = cl.getErr();
        err.println(prefix(cl) + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Try '" + cl.getCommandSpec().qualifiedName() + " --help' for more information.");
        err.flush();
        return BAD_INPUT;
    }

    /** Expected failures print one line; anything else is a bug, printed with its stack trace. */
    static int failure(Exception e, CommandLine cl) {
        PrintWriter err = cl.getErr();
        int code;
        if (e instanceof IOException || e instanceof UncheckedIOException) {
            err.println(prefix(cl) + message(e instanceof UncheckedIOException ? e.getCause() : e));
            code = IO_ERROR;
        } else if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
            err.println(prefix(cl) + message(e));
            code = BAD_INPUT;
        } else {
            err.println(prefix(cl) + "internal error (please report it):");
            e.printStackTrace(err);
            code = BAD_INPUT;
        }
        err.flush();
        return code;
    }

    /** The file, if it is a readable regular file; else an IOException that says what it is instead. */
    static Path checkFile(Path file) throws IOException {
        if (Files.isDirectory(file)) throw new IOException(file + " is a directory, not a model file");
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString());
        if (!Files.isReadable(file)) throw new AccessDeniedException(file.toString());
        return file;
    }

    static String prefix(CommandLine cl) {
        return cl.getCommandSpec().qualifiedName() + ": ";
    }

    /** A message for people: the file system exceptions only carry the path. */
    static String message(Throwable e) {
        if (e instanceof NoSuchFileException || e instanceof FileNotFoundException) return "no such file: " + e.getMessage();
        if (e instanceof AccessDeniedException) return "permission denied: " + e.getMessage();
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }
}
