package io.guardtrace.models.kernel;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.jspecify.annotations.Nullable;

/**
 * Vector loads from native memory, bridged across JDK versions. The Vector API reads off-heap memory through
 * {@code fromByteBuffer} in JDK 17–19 and through {@code fromMemorySegment} from JDK 20 on (where the
 * {@code ByteBuffer} methods are gone); guardtrace is compiled for Java 17, so the method is looked up once
 * and called through a constant {@link MethodHandle}, which the JIT inlines like a direct call. Kernels keep a
 * {@linkplain #source vector source} (the buffer itself, or a segment over it) next to the buffer.
 *
 * <p>Species: the preferred (widest) ones of this CPU, integer and float of the same size, so one int vector
 * holds {@code 2 * INTS.length()} bfloat16 values.
 */
final class VectorAccess {
  /** Ints per vector: each holds two bfloat16 values (little endian: the even element in the low half). */
  static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
  /** Floats of the same vector size. */
  static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
  /** Bytes of a quarter of that size: one byte per float lane, so {@code B2F} widens one load to one vector. */
  static final VectorSpecies<Byte> BYTES =
      VectorSpecies.of(byte.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 4));

  private static final @Nullable MethodHandle LOAD; // (VectorSpecies, Object source, long byteOffset, ByteOrder)
  private static final @Nullable MethodHandle LOAD_BYTES; // the same for ByteVector
  private static final @Nullable MethodHandle SOURCE; // (Buffer) -> Object
  private static final String API;

  static {
    MethodHandle load = null;
    MethodHandle loadBytes = null;
    MethodHandle source = null;
    String api = "none";
    MethodHandles.Lookup lookup = MethodHandles.lookup();
    MethodType loadType = MethodType.methodType(IntVector.class, VectorSpecies.class, Object.class, long.class,
        ByteOrder.class);
    MethodType loadBytesType = loadType.changeReturnType(ByteVector.class);
    try {
      Class<?> segment = Class.forName("java.lang.foreign.MemorySegment");
      load = lookup.findStatic(IntVector.class, "fromMemorySegment",
          MethodType.methodType(IntVector.class, VectorSpecies.class, segment, long.class, ByteOrder.class))
          .asType(loadType);
      loadBytes = lookup.findStatic(ByteVector.class, "fromMemorySegment",
          MethodType.methodType(ByteVector.class, VectorSpecies.class, segment, long.class, ByteOrder.class))
          .asType(loadBytesType);
      source = lookup.findStatic(segment, "ofBuffer", MethodType.methodType(segment, Buffer.class))
          .asType(MethodType.methodType(Object.class, Buffer.class));
      api = "MemorySegment";
    } catch (ReflectiveOperationException | RuntimeException e) {
      try {
        IntVector.class.getMethod("fromByteBuffer", VectorSpecies.class, ByteBuffer.class, int.class,
            ByteOrder.class);
        load = lookup.findStatic(VectorAccess.class, "fromByteBuffer", loadType);
        loadBytes = lookup.findStatic(VectorAccess.class, "bytesFromByteBuffer", loadBytesType);
        source = MethodHandles.identity(Buffer.class).asType(MethodType.methodType(Object.class, Buffer.class));
        api = "ByteBuffer";
      } catch (ReflectiveOperationException | RuntimeException e2) {
        load = null;
        loadBytes = null;
      }
    }
    LOAD = load;
    LOAD_BYTES = loadBytes;
    SOURCE = source;
    API = api;
  }

  private VectorAccess() {}

  /** Null when the kernels can run, else why not. */
  static @Nullable String unsupportedReason() {
    if (LOAD == null || LOAD_BYTES == null || SOURCE == null) {
      return "this JDK's Vector API has neither fromMemorySegment nor fromByteBuffer";
    }
    if (INTS.vectorBitSize() < 256) {
      return "the CPU's vectors are " + INTS.vectorBitSize() + " bits (the kernels want at least 256)";
    }
    return null;
  }

  /** The load path and vector size, e.g. {@code MemorySegment, 512-bit}. */
  static String describe() {
    return API + ", " + INTS.vectorBitSize() + "-bit";
  }

  /** What {@link #ints} reads from for a direct buffer: the buffer, or a memory segment over it. */
  static Object source(ByteBuffer direct) {
    if (!direct.isDirect()) {
      throw new IllegalArgumentException("kernels read native memory only");
    }
    try {
      return (Object) SOURCE.invokeExact((Buffer) direct);
    } catch (Throwable t) {
      throw new IllegalStateException("cannot wrap a buffer for the Vector API", t);
    }
  }

  /** {@code INTS.length()} little-endian ints at {@code byteOffset} of a {@link #source}. */
  static IntVector ints(Object source, long byteOffset) {
    try {
      return (IntVector) LOAD.invokeExact(INTS, source, byteOffset, ByteOrder.LITTLE_ENDIAN);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /** {@code BYTES.length()} bytes at {@code byteOffset} of a {@link #source}. */
  static ByteVector bytes(Object source, long byteOffset) {
    try {
      return (ByteVector) LOAD_BYTES.invokeExact(BYTES, source, byteOffset, ByteOrder.LITTLE_ENDIAN);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /** The JDK 17–19 load (called through {@link #LOAD}; never linked on newer JDKs). */
  @SuppressWarnings("unused")
  private static IntVector fromByteBuffer(VectorSpecies<Integer> species, Object source, long byteOffset,
      ByteOrder order) {
    return IntVector.fromByteBuffer(species, (ByteBuffer) source, (int) byteOffset, order);
  }

  /** The JDK 17–19 byte load (called through {@link #LOAD_BYTES}; never linked on newer JDKs). */
  @SuppressWarnings("unused")
  private static ByteVector bytesFromByteBuffer(VectorSpecies<Byte> species, Object source, long byteOffset,
      ByteOrder order) {
    return ByteVector.fromByteBuffer(species, (ByteBuffer) source, (int) byteOffset, order);
  }
}
