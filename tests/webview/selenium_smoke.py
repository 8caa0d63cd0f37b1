"""Drives an apphost app with Selenium for Python, the way a user's CI would.

    python selenium_smoke.py APPHOST_BINARY APP_DIR EXPECTED_TITLE EXPECTED_APP_ID

WebKitWebDriver (found on PATH) launches `APPHOST_BINARY run APP_DIR`; the environment must
carry APPHOST_AUTOMATION=1 (and DISPLAY). Exits 0 when the page's title and the `app.info`
answer are as expected, non-zero with a message otherwise.
"""

import subprocess
import sys

from selenium import webdriver


def main() -> int:
    binary, app_dir, want_title, want_id = sys.argv[1:5]

    options = webdriver.WebKitGTKOptions()
    options.binary_location = binary
    options.add_argument("run")
    options.add_argument(app_dir)
    # Selenium's WebKitGTK options ask for browserName "MiniBrowser" unless told otherwise;
    # apphost reports itself to WebKit as "apphost".
    options.set_capability("browserName", "apphost")

    # WebKitWebDriver's output, and with it the host's stderr, goes to ours rather than
    # Selenium's default of nowhere: it is where a failed start explains itself.
    service = webdriver.WebKitGTKService(log_output=subprocess.STDOUT)
    driver = webdriver.WebKitGTK(options=options, service=service)
    try:
        driver.set_script_timeout(10)
        caps = driver.capabilities
        if caps.get("browserName") != "apphost":
            print(f"browserName is {caps.get('browserName')!r}, not 'apphost'", file=sys.stderr)
            return 1

        title = driver.title
        if title != want_title:
            print(f"title is {title!r}, expected {want_title!r}", file=sys.stderr)
            return 1

        info = driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "window.apphost.invoke('app.info').then(done, e => done({ error: String(e.code || e) }));"
        )
        if not isinstance(info, dict) or info.get("id") != want_id:
            print(f"app.info answered {info!r}, expected id {want_id!r}", file=sys.stderr)
            return 1

        print(f"ok: {title!r}, {info['id']} {caps.get('browserVersion')}")
        return 0
    finally:
        driver.quit()


if __name__ == "__main__":
    sys.exit(main())
