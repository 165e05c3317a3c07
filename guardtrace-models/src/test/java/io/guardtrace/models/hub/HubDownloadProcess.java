package io.guardtrace.models.hub;

import java.nio.file.Path;
import java.util.Map;

/** A second process for the cross-process lock test: downloads a model and prints its directory. */
public final class HubDownloadProcess {
  private HubDownloadProcess() {}

  /**
   * Downloads.
   *
   * @param args the endpoint, the home directory whose cache to use, the model id
   */
  public static void main(String[] args) {
    HubSettings settings = HubSettings.from(Map.of("HF_ENDPOINT", args[0]), Map.of(), Path.of(args[1]));
    System.out.println(new HuggingFaceHub(settings).locate(args[2], null));
  }
}
