package io.guardtrace.models.safetensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guardtrace.ModelLoadException;
import io.guardtrace.models.Fixtures;
import io.guardtrace.models.HostileModels;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * safetensors headers are checked as the format's reference implementation checks them (issue 16, item 7):
 * shapes and offsets are non-negative JSON integers whose sizes do not overflow, the tensors cover the data
 * section exactly (no overlap, no gap, nothing after the last), keys are unique, {@code __metadata__} maps
 * strings to strings, and the header is UTF-8 JSON. Messages name the file and the tensor and never echo the
 * header.
 */
class SafetensorsHeaderTest {

  private static final String F32_4 = "{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}";

  /** label, header JSON, bytes in the data section, a fragment the message must have, the tensor it names. */
  static Stream<Arguments> badHeaders() {
    return Stream.of(
        Arguments.of("shape whose size overflows a long",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,0]}}", 0,
            "overflows", "w"),
        Arguments.of("shape whose byte size overflows a long",
            "{\"w\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}", 0,
            "overflows", "w"),
        Arguments.of("fractional dimension",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 8, "dimension 0", "w"),
        Arguments.of("string dimension",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8, "dimension 0", "w"),
        Arguments.of("boolean dimension",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[true],\"data_offsets\":[0,4]}}", 4, "dimension 0", "w"),
        Arguments.of("negative dimension",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0, "dimension 0", "w"),
        Arguments.of("shape that is not a list",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}}", 16, "shape", "w"),
        Arguments.of("one data offset",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16]}}", 16, "data_offsets", "w"),
        Arguments.of("three data offsets",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16,32]}}", 32, "data_offsets", "w"),
        Arguments.of("fractional data offset",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8.0]}}", 8, "data_offsets", "w"),
        Arguments.of("string data offsets",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[\"0\",\"8\"]}}", 8, "data_offsets", "w"),
        Arguments.of("negative data offset",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[-4,-4]}}", 0, "data_offsets", "w"),
        Arguments.of("data offsets ending before they begin",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, "end before they begin", "w"),
        Arguments.of("offsets that do not match the shape",
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 12, "do not match", "w"),
        Arguments.of("overlapping tensors",
            "{\"a\":" + F32_4 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}", 24,
            "overlap", "b"),
        Arguments.of("two tensors on the same bytes",
            "{\"a\":" + F32_4 + ",\"b\":" + F32_4 + "}", 16, "overlap", "b"),
        Arguments.of("a gap between tensors",
            "{\"a\":" + F32_4 + ",\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[20,36]}}", 36,
            "without gaps", "b"),
        Arguments.of("data not starting at 0",
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[4,20]}}", 20, "without gaps", "a"),
        Arguments.of("bytes after the last tensor", "{\"a\":" + F32_4 + "}", 20, "after its last tensor", null),
        Arguments.of("truncated data", "{\"a\":" + F32_4 + "}", 12, "truncated", "a"),
        Arguments.of("a tensor named twice",
            "{\"a\":" + F32_4 + ",\"a\":{\"dtype\":\"I8\",\"shape\":[16],\"data_offsets\":[0,16]}}", 16,
            "twice", "a"),
        Arguments.of("a key twice inside an entry",
            "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"I8\",\"shape\":[16],\"data_offsets\":[0,16]}}", 16,
            "duplicate key", "a"),
        Arguments.of("unknown dtype",
            "{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[16],\"data_offsets\":[0,16]}}", 16, "unsupported dtype",
            "a"),
        Arguments.of("dtype that is not a string",
            "{\"a\":{\"dtype\":4,\"shape\":[4],\"data_offsets\":[0,16]}}", 16, "unsupported dtype", "a"),
        Arguments.of("lower-case dtype",
            "{\"a\":{\"dtype\":\"f32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16, "unsupported dtype", "a"),
        Arguments.of("entry that is not an object", "{\"a\":5}", 0, "not an object", "a"),
        Arguments.of("entry without data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4]}}", 16,
            "data_offsets", "a"),
        Arguments.of("header that is a list", "[1,2]", 0, "not a JSON object", null),
        Arguments.of("content after the header object", "{\"a\":" + F32_4 + "} {}", 16, "after", null),
        Arguments.of("metadata value that is not a string",
            "{\"__metadata__\":{\"format\":1},\"a\":" + F32_4 + "}", 16, "__metadata__", "format"),
        Arguments.of("metadata that is not an object", "{\"__metadata__\":\"pt\",\"a\":" + F32_4 + "}", 16,
            "__metadata__", null),
        Arguments.of("header that is not JSON", "{\"a\": SECRETSAUCE}", 0, "unparseable", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badHeaders")
  void badHeader_isRefused_namingFileAndTensor(String label, String header, int dataBytes, String fragment,
      String tensor, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.safetensors");
    Files.write(file, HostileModels.safetensors(header.getBytes(StandardCharsets.UTF_8), new byte[dataBytes]));
    assertThatThrownBy(() -> SafetensorsFile.open(file).close())
        .isInstanceOf(ModelLoadException.class)
        .hasMessageContaining(file.toString())
        .hasMessageContaining(fragment)
        .satisfies(e -> {
          if (tensor != null) {
            assertThat(e.getMessage()).contains("'" + tensor + "'");
          }
          // the header's text is never echoed (the old messages printed whole entries)
          assertThat(e.getMessage()).doesNotContain("data_offsets\":").doesNotContain("SECRETSAUCE");
          assertThat(e.getCause() == null ? "" : String.valueOf(e.getCause().getMessage()))
              .doesNotContain("SECRETSAUCE");
        });
  }

  @Test
  void headerThatIsNotUtf8_isRefused(@TempDir Path dir) throws Exception {
    ByteArrayOutputStream header = new ByteArrayOutputStream();
    header.writeBytes("{\"a".getBytes(StandardCharsets.US_ASCII));
    header.write(0xff);
    header.writeBytes(("\":" + F32_4 + "}").getBytes(StandardCharsets.US_ASCII));
    Path file = dir.resolve("latin.safetensors");
    Files.write(file, HostileModels.safetensors(header.toByteArray(), new byte[16]));
    assertThatThrownBy(() -> SafetensorsFile.open(file)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("not UTF-8");
  }

  @ParameterizedTest
  @ValueSource(longs = {0, -1, 1L << 40, 1000})
  void headerLengthOutOfRange_isRefused_withoutPrintingIt(long length, @TempDir Path dir) throws Exception {
    byte[] bytes = HostileModels.safetensors("{}".getBytes(StandardCharsets.US_ASCII), new byte[0]);
    java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(0, length);
    Path file = dir.resolve("len.safetensors");
    Files.write(file, bytes);
    assertThatThrownBy(() -> SafetensorsFile.open(file)).isInstanceOf(ModelLoadException.class)
        .hasMessageContaining("header length")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(" " + length + " "));
  }

  @Test
  void validEdgeCases_scalarsEmptyTensorsAndMetadata_areAccepted(@TempDir Path dir) throws Exception {
    String header = "{\"__metadata__\":{\"format\":\"pt\"},"
        + "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]},"
        + "\"scalar\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[0,4]},"
        + "\"pair\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[4,8]}}";
    Path file = dir.resolve("ok.safetensors");
    Files.write(file, HostileModels.safetensors(header.getBytes(StandardCharsets.UTF_8),
        new byte[] {7, 0, 0, 0, (byte) 0x80, 0x3f, 0, 0x40}));
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      assertThat(f.tensors()).containsOnlyKeys("empty", "scalar", "pair");
      assertThat(f.metadata()).containsEntry("format", "pt");
      assertThat(f.longs("scalar")).containsExactly(7);
      assertThat(f.floats("pair")).containsExactly(1f, 2f);
      assertThat(f.info("empty").elementCount()).isZero();
    }
  }

  @Test
  void everyFixtureFile_passesTheChecks() throws Exception {
    try (var files = Files.walk(Fixtures.root())) {
      for (Path p : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".safetensors"))::iterator) {
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
          assertThat(f.tensors()).as(p.toString()).isNotEmpty();
        }
      }
    }
  }
}
