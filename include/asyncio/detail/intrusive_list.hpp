// asyncio/detail/intrusive_list.hpp - a circular doubly-linked intrusive list.
//
// Used for every wait list (queue getters/putters/joiners, event waiters, task
// done-callbacks, the loop's live tasks): the awaiter IS the node, so waiting
// never allocates, and unlinking any node is O(1).
#pragma once

#include <cassert>
#include <cstddef>

namespace asyncio::detail {

/// A node. `linked()` is false when it is in no list.
struct ListNode {
    ListNode* prev = nullptr;
    ListNode* next = nullptr;

    bool linked() const noexcept { return next != nullptr; }

    void unlink() noexcept {
        prev->next = next;
        next->prev = prev;
        prev = next = nullptr;
    }
};

/// The list: a sentinel node, nothing else (no count: linking and unlinking
/// touch only the neighbours). Not copyable or movable, because nodes point at
/// the sentinel.
class IntrusiveList {
public:
    IntrusiveList() noexcept { head_.prev = head_.next = &head_; }
    IntrusiveList(const IntrusiveList&) = delete;
    IntrusiveList& operator=(const IntrusiveList&) = delete;

    bool empty() const noexcept { return head_.next == &head_; }
    /// O(n): walks the list (for printing, never on a hot path).
    std::size_t size() const noexcept {
        std::size_t n = 0;
        for (const ListNode* p = head_.next; p != &head_; p = p->next) ++n;
        return n;
    }
    ListNode* front() const noexcept { return empty() ? nullptr : head_.next; }
    /// The first node, or end() when empty (one comparison, no null test).
    ListNode* first() const noexcept { return head_.next; }
    const ListNode* end() const noexcept { return &head_; }

    void push_back(ListNode* n) noexcept {
        assert(!n->linked());
        n->prev = head_.prev;
        n->next = &head_;
        head_.prev->next = n;
        head_.prev = n;
    }

    void erase(ListNode* n) noexcept {
        assert(n->linked());
        n->unlink();
    }

    ListNode* pop_front() noexcept {
        if (empty()) return nullptr;
        ListNode* n = head_.next;
        erase(n);
        return n;
    }

    /// Calls f(node) for every node, front to back. f must not unlink nodes.
    template <class F>
    void for_each(F&& f) const {
        for (ListNode* n = head_.next; n != &head_; n = n->next) f(n);
    }

    /// Unlinks every node without touching anything else.
    void clear() noexcept {
        while (!empty()) pop_front();
    }

private:
    ListNode head_;
};

}  // namespace asyncio::detail
