/** Probes with the exec handler on a real containerd (see support/probeSuite.ts for the common tests). */
import { probeSuite } from "./support/probeSuite.ts";

const { test } = probeSuite("exec");

test.run();
