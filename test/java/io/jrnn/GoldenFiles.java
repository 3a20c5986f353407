package io.jrnn;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.stream.Stream;

/** The golden-data folders on the test classpath (pom.xml copies test/golden/ to target/test-classes/golden/). */
final class GoldenFiles {
    private GoldenFiles() {}

    /** The folder of a resource such as {@code "golden/rnn"}. */
    static Path folder(String resource) {
        URL url = GoldenFiles.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException("resource folder " + resource + " is not on the test classpath "
                    + "(pom.xml copies test/golden/ to target/test-classes/golden/)");
        }
        try {
            return Paths.get(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The {@code .safetensors} files of that folder, sorted by name. */
    static List<Path> safetensors(String resource) {
        try (Stream<Path> files = Files.list(folder(resource))) {
            return files.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
