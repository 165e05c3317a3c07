package io.guardtrace.examples.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * The build's promises to downstream users: guardtrace-bom (standalone, so it imports no third-party versions)
 * has the parent's version and manages every published module, and every published module names its JPMS
 * automatic module.
 */
class PublishedArtifactsTest {
  static final Pattern MODULE_NAME = Pattern.compile("io\\.guardtrace(\\.[a-z][a-z0-9]*)+");

  static Path root() {
    String dir = System.getProperty("maven.multiModuleProjectDirectory");
    return dir != null ? Path.of(dir) : Path.of("..");
  }

  static Element pom(Path file) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(false);
    Document d = f.newDocumentBuilder().parse(file.toFile());
    return d.getDocumentElement();
  }

  static String text(Element parent, String child) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(child)) {
        return e.getTextContent().strip();
      }
    }
    return null;
  }

  static Element child(Element parent, String name) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e;
      }
    }
    return null;
  }

  /** The modules the parent builds that are published: all but the examples and the BOM itself. */
  static List<String> publishedModules(Element parent) {
    List<String> out = new ArrayList<>();
    NodeList modules = child(parent, "modules").getElementsByTagName("module");
    for (int i = 0; i < modules.getLength(); i++) {
      String m = modules.item(i).getTextContent().strip();
      Element pom;
      try {
        pom = pom(root().resolve(m).resolve("pom.xml"));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      Element props = child(pom, "properties");
      boolean skipped = props != null && "true".equals(text(props, "maven.install.skip"));
      if (!skipped && !m.equals("guardtrace-bom")) {
        out.add(m);
      }
    }
    return out;
  }

  @Test
  void bom_isStandalone_hasTheParentsVersion_andManagesEveryPublishedModule() throws Exception {
    Element parent = pom(root().resolve("pom.xml"));
    Element bom = pom(root().resolve("guardtrace-bom/pom.xml"));
    assertThat(child(bom, "parent")).as("the BOM has no parent").isNull();
    assertThat(text(bom, "packaging")).isEqualTo("pom");
    assertThat(text(bom, "groupId")).isEqualTo(text(parent, "groupId"));
    assertThat(text(bom, "version")).isEqualTo(text(parent, "version"));
    List<String> managed = new ArrayList<>();
    NodeList deps = child(child(bom, "dependencyManagement"), "dependencies").getElementsByTagName("dependency");
    for (int i = 0; i < deps.getLength(); i++) {
      Element d = (Element) deps.item(i);
      assertThat(text(d, "groupId")).isEqualTo("io.guardtrace");
      assertThat(text(d, "version")).isEqualTo("${project.version}");
      managed.add(text(d, "artifactId"));
    }
    assertThat(managed).containsExactlyInAnyOrderElementsOf(publishedModules(parent));
  }

  @Test
  void everyPublishedModule_namesItsAutomaticModule() throws Exception {
    List<String> names = new ArrayList<>();
    for (String m : publishedModules(pom(root().resolve("pom.xml")))) {
      Element props = child(pom(root().resolve(m).resolve("pom.xml")), "properties");
      String name = props == null ? null : text(props, "guardtrace.moduleName");
      assertThat(name).as("guardtrace.moduleName of " + m).isNotNull().matches(MODULE_NAME);
      names.add(name);
    }
    assertThat(names).doesNotHaveDuplicates().contains("io.guardtrace.core", "io.guardtrace.models",
        "io.guardtrace.testing", "io.guardtrace.image");
  }

  @Test
  void builtJar_carriesItsAutomaticModuleName() throws Exception {
    // the jars of modules built before this one in the reactor
    Path core = root().resolve("guardtrace-core/target");
    try (var files = Files.list(core)) {
      Path jar = files.filter(p -> p.getFileName().toString().matches("guardtrace-core-.*(?<!sources|javadoc)\\.jar"))
          .findFirst().orElse(null);
      org.junit.jupiter.api.Assumptions.assumeTrue(jar != null, "guardtrace-core was packaged");
      try (java.util.jar.JarFile j = new java.util.jar.JarFile(jar.toFile())) {
        assertThat(j.getManifest().getMainAttributes().getValue("Automatic-Module-Name"))
            .isEqualTo("io.guardtrace.core");
      }
    }
  }
}
