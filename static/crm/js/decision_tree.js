/* <vf-network dot="digraph {...}">: draws a Graphviz DOT string with
 * vis-network (shipped and loaded by viewflow as window.vis).
 *
 * viewflow's templates and CSS use this element, but the open-source
 * viewflow.min.js does not define it; this defines it only when nobody else
 * has. With the attribute "hierarchical" the graph is laid out top-down
 * (superiors above the people who report to them).
 */
(function () {
  "use strict";
  if (!window.customElements || window.customElements.get("vf-network")) {
    return;
  }

  class VfNetwork extends HTMLElement {
    connectedCallback() {
      if (this.network || !window.vis || !window.vis.network) {
        return;
      }
      var parsed = window.vis.network.convertDot(this.getAttribute("dot") || "digraph {}");
      var options = Object.assign({}, parsed.options || {});
      options.nodes = Object.assign({ shape: "box", margin: 8 }, options.nodes || {});
      options.edges = Object.assign({ arrows: "to" }, options.edges || {});
      options.interaction = { dragNodes: true, zoomView: false };
      if (this.hasAttribute("hierarchical")) {
        options.layout = {
          hierarchical: { direction: "UD", sortMethod: "directed", levelSeparation: 100 },
        };
        options.physics = false;
      }
      this.network = new window.vis.Network(
        this,
        { nodes: parsed.nodes, edges: parsed.edges },
        options
      );
    }

    disconnectedCallback() {
      if (this.network) {
        this.network.destroy();
        this.network = null;
      }
    }
  }

  window.customElements.define("vf-network", VfNetwork);
})();
