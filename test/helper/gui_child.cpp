// modhost_test_gui_child: a Windows GUI-subsystem program (linked with -mwindows) for the tests of
// the WM_CLOSE request. It writes to the stdout handle its parent gave it (a GUI program has no
// console), in whole lines.
//
//   close-line     open a top-level window, print "ready"; on WM_CLOSE print "got WM_CLOSE" and
//                  exit 0
//   ignore-close   open a top-level window, print "ready"; on each WM_CLOSE print "ignored
//                  WM_CLOSE" and stay (run until killed)
//   no-window      print "ready" and sleep, with no window at all
//
// When the window cannot be created (Wine without a display driver) it prints
// "no window: error N" and exits 3, so a test can say why it skips.

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#include <windows.h>

#include <cstring>
#include <string>

namespace {

bool g_ignore_close = false;

void say(const std::string& line) {
  const std::string text = line + "\n";
  DWORD written = 0;
  WriteFile(GetStdHandle(STD_OUTPUT_HANDLE), text.data(), static_cast<DWORD>(text.size()),
            &written, nullptr);
}

LRESULT CALLBACK window_proc(HWND window, UINT message, WPARAM w, LPARAM l) {
  if (message == WM_CLOSE) {
    if (g_ignore_close) {
      say("ignored WM_CLOSE");
      return 0;
    }
    say("got WM_CLOSE");
    DestroyWindow(window);
    return 0;
  }
  if (message == WM_DESTROY) {
    PostQuitMessage(0);
    return 0;
  }
  return DefWindowProcW(window, message, w, l);
}

int run_window() {
  WNDCLASSW wc{};
  wc.lpfnWndProc = window_proc;
  wc.hInstance = GetModuleHandleW(nullptr);
  wc.lpszClassName = L"modhost_test_gui_child";
  if (RegisterClassW(&wc) == 0) {
    say("no window: error " + std::to_string(GetLastError()));
    return 3;
  }
  HWND window = CreateWindowExW(0, wc.lpszClassName, L"modhost test", WS_OVERLAPPEDWINDOW, 0, 0,
                                200, 100, nullptr, nullptr, wc.hInstance, nullptr);
  if (window == nullptr) {
    say("no window: error " + std::to_string(GetLastError()));
    return 3;
  }
  say("ready");
  MSG msg;
  while (GetMessageW(&msg, nullptr, 0, 0) > 0) {
    TranslateMessage(&msg);
    DispatchMessageW(&msg);
  }
  return static_cast<int>(msg.wParam);
}

}  // namespace

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (std::strcmp(mode, "close-line") == 0) return run_window();
  if (std::strcmp(mode, "ignore-close") == 0) {
    g_ignore_close = true;
    return run_window();
  }
  if (std::strcmp(mode, "no-window") == 0) {
    say("ready");
    for (;;) Sleep(100000);
  }
  say(std::string("unknown mode: ") + mode);
  return 2;
}
