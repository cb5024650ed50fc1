// Loaded into Azurite's node process by apexops (`node -r azurite_owner.js ...`).
"use strict";
const fs = require("fs");
const Module = require("module");

// 1. Azurite lives as long as its owner. The owner's pid is in the file named by
//    APEXOPS_AZURITE_OWNER_FILE (the sandbox daemon, or whoever started Azurite until the daemon takes it
//    over); when that process is gone (or a zombie), exit.
const file = process.env.APEXOPS_AZURITE_OWNER_FILE;

function gone(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code !== "EPERM";
  }
  try {
    // Linux: a killed owner that its parent has not reaped yet is a zombie ("Z") and counts as gone
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch (err) {
    return false;
  }
}

if (file) {
  setInterval(() => {
    let pid = 0;
    try {
      pid = parseInt(fs.readFileSync(file, "utf8"), 10) || 0;
    } catch (err) {
      pid = 0;
    }
    if (!pid || gone(pid)) {
      process.exit(0);
    }
  }, 250).unref();
}

// 2. Start faster: Azurite loads two libraries at start that the sandbox's configuration never uses,
//    `applicationinsights` (its usage telemetry; we pass --disableTelemetry) and `sequelize` (the SQL
//    metadata backend, chosen only with AZURITE_DB; the default LokiJS store is used). They are ~40% of its
//    start-up CPU on a 2-core machine, where it competes with the rest of `sandbox up`. Each is replaced by
//    a stand-in whose classes can be declared (`class X extends Model`) but which throws when used.
const UNUSED = new Set(["applicationinsights", "sequelize"]);
if (!process.env.AZURITE_DB) {
  const unused = (name) => {
    const fail = () => {
      throw new Error(`${name} is not loaded in the apexops sandbox (see apexops/sandbox/azurite_owner.js)`);
    };
    return new Proxy(fail, {
      get: (_target, key) => (key === "Model" ? class {} : key === "__esModule" ? false : fail),
    });
  };
  const load = Module._load;
  Module._load = function (request, parent, isMain) {
    return UNUSED.has(request) ? unused(request) : load.apply(this, arguments);
  };
}
