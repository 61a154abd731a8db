#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "modhost/cancellation.hpp"

#include "modhost_cancellation.hpp"

namespace modhost {
namespace {

using namespace std::chrono_literals;

TEST(Cancellation, CancelIsIdempotentAndRunsCallbacksOnce) {
  CancellationToken token;
  EXPECT_FALSE(token.is_cancelled());
  int calls = 0;
  auto reg = token.on_cancel([&] { ++calls; });
  EXPECT_TRUE(reg.active());
  token.cancel();
  EXPECT_TRUE(token.is_cancelled());
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(reg.active());
  token.cancel();
  EXPECT_EQ(calls, 1);
}

TEST(Cancellation, CopiesShareState) {
  CancellationToken a;
  CancellationToken b = a;
  CancellationToken moved = std::move(b);
  EXPECT_TRUE(a == moved);
  EXPECT_TRUE(a != CancellationToken());
  moved.cancel();
  EXPECT_TRUE(a.is_cancelled());
  EXPECT_TRUE(b.is_cancelled());  // A "moved-from" token still refers to its state.
}

TEST(Cancellation, CallbacksRunInRegistrationOrderOnTheCancellingThread) {
  CancellationToken token;
  std::vector<int> order;
  std::thread::id ran_on;
  auto r1 = token.on_cancel([&] { order.push_back(1); });
  auto r2 = token.on_cancel([&] { order.push_back(2); ran_on = std::this_thread::get_id(); });
  std::thread t([&] { token.cancel(); });
  std::thread::id canceller = t.get_id();
  t.join();
  EXPECT_EQ(order, (std::vector<int>{1, 2}));
  EXPECT_EQ(ran_on, canceller);
}

TEST(Cancellation, OnCancelAfterCancelRunsAtOnce) {
  CancellationToken token;
  token.cancel();
  int calls = 0;
  auto reg = token.on_cancel([&] { ++calls; });
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(reg.active());
}

// cancel() is noexcept: an empty callback stored and called there would throw
// bad_function_call and end the process, so it is never stored, before or after the cancel.
TEST(Cancellation, AnEmptyCallbackIsNeitherStoredNorCalled) {
  CancellationToken token;
  int ran = 0;
  CancellationRegistration before = token.on_cancel(std::function<void()>());
  CancellationRegistration other = token.on_cancel([&] { ++ran; });
  token.cancel();
  EXPECT_EQ(ran, 1);
  CancellationRegistration after = token.on_cancel(std::function<void()>());
  before.reset();
  after.reset();
}

TEST(Cancellation, ResetDeregisters) {
  CancellationToken token;
  int calls = 0;
  auto reg = token.on_cancel([&] { ++calls; });
  reg.reset();
  reg.reset();
  EXPECT_FALSE(reg.active());
  token.cancel();
  EXPECT_EQ(calls, 0);
}

TEST(Cancellation, DestroyingRegistrationDeregisters) {
  CancellationToken token;
  int calls = 0;
  { auto reg = token.on_cancel([&] { ++calls; }); }
  token.cancel();
  EXPECT_EQ(calls, 0);
}

TEST(Cancellation, MovedRegistrationStaysRegistered) {
  CancellationToken token;
  int calls = 0;
  CancellationRegistration outer;
  {
    auto reg = token.on_cancel([&] { ++calls; });
    outer = std::move(reg);
    EXPECT_FALSE(reg.active());  // NOLINT(bugprone-use-after-move): documented state.
  }
  EXPECT_TRUE(outer.active());
  CancellationRegistration third(std::move(outer));
  token.cancel();
  EXPECT_EQ(calls, 1);
}

TEST(Cancellation, MoveAssignDeregistersThePreviousOne) {
  CancellationToken token;
  int first = 0;
  int second = 0;
  auto reg = token.on_cancel([&] { ++first; });
  reg = token.on_cancel([&] { ++second; });
  token.cancel();
  EXPECT_EQ(first, 0);
  EXPECT_EQ(second, 1);
}

TEST(Cancellation, CallbackMayDestroyItsOwnRegistration) {
  CancellationToken token;
  auto holder = std::make_unique<CancellationRegistration>();
  int calls = 0;
  *holder = token.on_cancel([&] {
    ++calls;
    holder.reset();  // Same thread as the running callback: must not deadlock.
  });
  token.cancel();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(holder, nullptr);
}

TEST(Cancellation, CallbackMayDeregisterAnotherAndRegisterMore) {
  CancellationToken token;
  int later = 0;
  int nested = 0;
  CancellationRegistration second;
  CancellationRegistration inner;
  auto first = token.on_cancel([&] {
    second.reset();
    inner = token.on_cancel([&] { ++nested; });  // Already cancelled: runs at once.
  });
  second = token.on_cancel([&] { ++later; });
  token.cancel();
  EXPECT_EQ(later, 0);
  EXPECT_EQ(nested, 1);
}

TEST(Cancellation, ChildIsCancelledWithItsParentButNotTheReverse) {
  CancellationToken parent;
  CancellationToken child = parent.child();
  CancellationToken grandchild = child.child();
  CancellationToken sibling = parent.child();
  int child_calls = 0;
  auto reg = grandchild.on_cancel([&] { ++child_calls; });

  sibling.cancel();
  EXPECT_TRUE(sibling.is_cancelled());
  EXPECT_FALSE(parent.is_cancelled());
  EXPECT_FALSE(child.is_cancelled());

  parent.cancel();
  EXPECT_TRUE(child.is_cancelled());
  EXPECT_TRUE(grandchild.is_cancelled());
  EXPECT_EQ(child_calls, 1);
}

TEST(Cancellation, ChildOfCancelledTokenIsBornCancelled) {
  CancellationToken parent;
  parent.cancel();
  CancellationToken child = parent.child();
  EXPECT_TRUE(child.is_cancelled());
  EXPECT_TRUE(child.wait_for(0ns));
}

TEST(Cancellation, ParentDoesNotKeepDeadChildrenAlive) {
  CancellationToken parent;
  for (int i = 0; i < 1000; ++i) {
    CancellationToken child = parent.child();
    auto reg = child.on_cancel([] {});
    (void)reg;
  }
  EXPECT_EQ(detail::pending_callbacks(parent), 0u);

  CancellationToken alive = parent.child();
  CancellationToken copy = alive;
  EXPECT_EQ(detail::pending_callbacks(parent), 1u);
  // A child cancelled on its own no longer needs its parent's callback either.
  alive.cancel();
  EXPECT_EQ(detail::pending_callbacks(parent), 0u);
}

TEST(Cancellation, ChildStateDiesWithItsLastHandle) {
  CancellationToken parent;
  auto payload = std::make_shared<int>(1);
  std::weak_ptr<int> weak = payload;
  {
    CancellationToken child = parent.child();
    CancellationToken grandchild = child.child();
    auto reg = grandchild.on_cancel([p = std::move(payload)] { (void)p; });
    EXPECT_EQ(detail::pending_callbacks(child), 1u);
    EXPECT_EQ(detail::pending_callbacks(parent), 1u);
  }
  EXPECT_TRUE(weak.expired());
  EXPECT_EQ(detail::pending_callbacks(parent), 0u);
}

TEST(Cancellation, WaitForTimesOutWhenNotCancelled) {
  CancellationToken token;
  EXPECT_FALSE(token.wait_for(1ms));
  EXPECT_FALSE(token.wait_for(0ns));
  EXPECT_FALSE(token.wait_for(-5ms));
}

TEST(Cancellation, WaitForReturnsAtOnceWhenCancelled) {
  CancellationToken token;
  token.cancel();
  EXPECT_TRUE(token.wait_for(std::chrono::hours(1)));
}

TEST(Cancellation, WaitForIsWokenByCancelFromAnotherThread) {
  CancellationToken token;
  std::atomic<bool> waiting{false};
  std::thread canceller([&] {
    while (!waiting.load()) std::this_thread::yield();
    token.cancel();
  });
  waiting.store(true);
  auto start = std::chrono::steady_clock::now();
  // A generous bound: if cancel() did not wake the waiter, this would take the whole 60 s.
  bool cancelled = token.wait_for(60s);
  auto elapsed = std::chrono::steady_clock::now() - start;
  canceller.join();
  EXPECT_TRUE(cancelled);
  EXPECT_LT(elapsed, 30s);
}

TEST(Cancellation, ChildWaitIsWokenByParentCancel) {
  CancellationToken parent;
  CancellationToken child = parent.child();
  std::thread canceller([&] { parent.cancel(); });
  EXPECT_TRUE(child.wait_for(std::chrono::nanoseconds::max()));
  canceller.join();
}

TEST(Cancellation, ConcurrentCancelRunsEachCallbackExactlyOnce) {
  for (int round = 0; round < 50; ++round) {
    CancellationToken token;
    std::atomic<int> calls{0};
    std::vector<CancellationRegistration> regs;
    for (int i = 0; i < 20; ++i) regs.push_back(token.on_cancel([&] { calls.fetch_add(1); }));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([&] { token.cancel(); });
    for (auto& t : threads) t.join();
    EXPECT_EQ(calls.load(), 20);
  }
}

// Hammers the race the registration exists for: a registration destroyed on one thread while
// another cancels. After reset() returns, the callback must neither be running nor start, so
// the object it touches can be freed at once (ASan/TSan would report the use after free).
TEST(Cancellation, ConcurrentCancelVersusDeregistration) {
  for (int round = 0; round < 300; ++round) {
    CancellationToken token;
    constexpr int kRegs = 8;
    std::vector<std::unique_ptr<std::atomic<int>>> targets;
    std::vector<CancellationRegistration> regs;
    for (int i = 0; i < kRegs; ++i) {
      targets.push_back(std::make_unique<std::atomic<int>>(0));
      std::atomic<int>* target = targets.back().get();
      regs.push_back(token.on_cancel([target] { target->fetch_add(1); }));
    }
    std::atomic<bool> go{false};
    std::thread canceller([&] {
      while (!go.load()) std::this_thread::yield();
      token.cancel();
    });
    std::thread remover([&] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kRegs; ++i) {
        regs[static_cast<std::size_t>(i)].reset();
        int seen = targets[static_cast<std::size_t>(i)]->load();
        EXPECT_LE(seen, 1);
        targets[static_cast<std::size_t>(i)].reset();  // Freed right after deregistration.
      }
    });
    go.store(true);
    canceller.join();
    remover.join();
  }
}

TEST(Cancellation, ConcurrentChildCreationAndParentCancel) {
  for (int round = 0; round < 100; ++round) {
    CancellationToken parent;
    std::vector<CancellationToken> children(8);
    std::thread maker([&] {
      for (auto& c : children) c = parent.child();
    });
    std::thread canceller([&] { parent.cancel(); });
    maker.join();
    canceller.join();
    for (auto& c : children) EXPECT_TRUE(c.is_cancelled());
  }
}

TEST(Cancellation, ChildDroppedWhileParentCancels) {
  for (int round = 0; round < 200; ++round) {
    CancellationToken parent;
    auto child = std::make_unique<CancellationToken>(parent.child());
    std::atomic<int> calls{0};
    auto reg = std::make_unique<CancellationRegistration>(child->on_cancel([&] { calls++; }));
    std::thread canceller([&] { parent.cancel(); });
    reg.reset();
    child.reset();
    canceller.join();
    EXPECT_LE(calls.load(), 1);
  }
}

}  // namespace
}  // namespace modhost
