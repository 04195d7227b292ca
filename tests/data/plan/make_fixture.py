# Hand-written test fixture generator: a 5-exit AlexNet-like branchy model on Fashion-MNIST
# (model card with the planner's chain/cuts extension, device and edge fits, accuracy table).
# The numbers are invented, not measured. Run: python3 make_fixture.py (writes *.json here).
import json, math
# Hand-designed 5-exit AlexNet-like branchy model on Fashion-MNIST (1x28x28), for tests only.
sha = "f1c7a5e0" * 8  # hex, as every edgent.model/1 card's onnx_sha256
def conv(name, cin, cout, hw_in, k, s=1, pad=True):
    hw = hw_in if pad else hw_in - k + 1
    flops = 2 * hw * hw * cout * cin * k * k
    return dict(name=name, type="conv", features={"in_size": cin*hw_in*hw_in, "filter_term": (k/s)**2*cout, "flops": flops},
                flops=flops, output_bytes=4*cout*hw*hw), (cout, hw)
def relu(name, c, hw): return dict(name=name, type="relu", features={"in_size": c*hw*hw}, flops=c*hw*hw, output_bytes=4*c*hw*hw)
def pool(name, c, hw):
    o = hw//2
    return dict(name=name, type="pool", features={"in_size": c*hw*hw, "out_size": c*o*o}, flops=c*hw*hw, output_bytes=4*c*o*o), o
def lrn(name, c, hw): return dict(name=name, type="lrn", features={"in_size": c*hw*hw}, flops=5*c*hw*hw, output_bytes=4*c*hw*hw)
def fc(name, i, o): return dict(name=name, type="fc", features={"in_size": i, "out_size": o, "flops": 2*i*o}, flops=2*i*o, output_bytes=4*o)
trunk = []
u,(c,hw) = conv("conv1",1,64,28,5); trunk.append(u)
trunk.append(relu("relu1",c,hw)); u,hw = pool("pool1",c,hw); trunk.append(u); trunk.append(lrn("lrn1",c,hw))   # 4 units: 64x14x14
u,(c,hw) = conv("conv2",64,128,14,3); trunk.append(u); trunk.append(relu("relu2",c,hw)); u,hw=pool("pool2",c,hw); trunk.append(u) # 7: 128x7x7
u,(c,hw) = conv("conv3",128,192,7,3); trunk.append(u); trunk.append(relu("relu3",c,hw))  # 9
u,(c,hw) = conv("conv4",192,192,7,3); trunk.append(u); trunk.append(relu("relu4",c,hw))  # 11
u,(c,hw) = conv("conv5",192,128,7,3); trunk.append(u); trunk.append(relu("relu5",c,hw)); u,hw3=pool("pool3",c,hw); trunk.append(u) # 14: 128x3x3
main = trunk + [fc("fc1",1152,512), relu("relu6",1,0) | {"features":{"in_size":512},"flops":512,"output_bytes":2048}, fc("fc2",512,10)]
def branch(k, upto, c, hw):
    b = []
    u, o = pool(f"b{k}_pool", c, hw); b.append(u)
    b.append(fc(f"b{k}_fc", c*o*o, 10))
    return trunk[:upto] + b
exits_chain = [branch(1,4,64,14), branch(2,7,128,7), branch(3,9,192,7), branch(4,11,192,7), main]
accs = [0.80, 0.85, 0.88, 0.90, 0.92]
exits=[]
for i,(ch,a) in enumerate(zip(exits_chain,accs)):
    n=len(ch)
    # cut points: every unit boundary of the trunk (a linear chain); fused relu outputs only
    cuts=[0]+[j for j in range(1,n+1) if ch[j-1]["type"]!="conv"]
    exits.append(dict(exit=i+1, output=f"exit{i+1}", accuracy=a, flops=sum(u["flops"] for u in ch), params=0,
        confidence=dict(mean=0.9,p10=0.6,p50=0.95,p90=1.0), entropy=dict(mean=0.3,p10=0.01,p50=0.1,p90=0.9),
        chain=ch, cuts=cuts))
units = [dict(name=u["name"], type=u["type"], output=u["name"], flops=u["flops"], params=0,
              exits=[k for k, ch in enumerate(exits_chain, 1) if u in ch], output_shape=[1, u["output_bytes"] // 4])
         for u in main]
card = {"schema":"edgent.model/1","generator":{"tool":"hand-written test fixture","version":"0","git":"none"},
 "name":"alexnet5-fixture","onnx":"alexnet5-fixture.onnx","onnx_sha256":sha,"onnx_bytes":1,
 "input":{"name":"input","shape":[1,1,28,28],"dtype":"float32","layout":"NCHW"},
 "normalization":{"scale":1/255,"mean":[0.286],"std":[0.353]},
 "classes":[str(i) for i in range(10)],"arch_only":False,"dataset":None,"seed":1,"training":None,
 "exits":exits,"units":units}
def fit(role, gflops, per_elem_ns):
    s = 1e-6/gflops  # ms per flop
    e = per_elem_ns*1e-6
    return {"schema":"edgent.fit/1","generator":{"tool":"hand-written test fixture","version":"0","git":"none"},
      "role":role,"model_sha256":sha,"profile_sha256":"0"*64,
      "models":{"conv":{"features":["flops"],"coef":[s],"intercept":0.05,"r2":1,"mape_train":0,"mape_heldout":None,"n":0},
                "fc":{"features":["flops"],"coef":[s*1.5],"intercept":0.02,"r2":1,"mape_train":0,"mape_heldout":None,"n":0},
                "relu":{"features":["in_size"],"coef":[e],"intercept":0.005,"r2":1,"mape_train":0,"mape_heldout":None,"n":0},
                "pool":{"features":["in_size","out_size"],"coef":[e,e],"intercept":0.01,"r2":1,"mape_train":0,"mape_heldout":None,"n":0},
                "lrn":{"features":["in_size"],"coef":[4*e],"intercept":0.01,"r2":1,"mape_train":0,"mape_heldout":None,"n":0}},
      "fallback":{"features":["flops"],"coef":[s],"intercept":0.0,"r2":1,"mape_train":0,"mape_heldout":None,"n":0}}
dev = fit("device", 2.0, 12.0)
edge = fit("edge", 10.0, 2.4)
acc = {"schema":"edgent.accuracy/1","generator":{"tool":"hand-written test fixture","version":"0","git":"none"},
  "model_sha256":sha,"samples":1000,"entries":[]}
for e in exits:
    for cut in e["cuts"][:-1]:
        acc["entries"].append(dict(exit=e["exit"],cut=cut,codec="int8",accuracy=round(e["accuracy"]-0.01,4)))
        acc["entries"].append(dict(exit=e["exit"],cut=cut,codec="int8+zstd",accuracy=round(e["accuracy"]-0.01,4)))
import os
d=os.path.dirname(os.path.abspath(__file__))+"/"
for name,obj in [("model.json",card),("device_fit.json",dev),("edge_fit.json",edge),("accuracy.json",acc)]:
    open(d+name,"w").write(json.dumps(obj,indent=1)+"\n")
# summary
def pred(f,u):
    m=f["models"][u["type"]]; return m["intercept"]+sum(c*(u["features"][n]) for n,c in zip(m["features"],m["coef"]))
for e in exits:
    print(e["exit"], len(e["chain"]), round(sum(pred(dev,u) for u in e["chain"]),2), round(sum(pred(edge,u) for u in e["chain"]),2), max(u["output_bytes"] for u in e["chain"]), e["cuts"])
